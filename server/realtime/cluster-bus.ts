/**
 * The ordered stream of cluster-wide presence and dialog changes. Every node applies the same events
 * in the same order to its replica (server/core/messenger.ts), so all nodes agree on who is available
 * and which dialogs are open. One node: the in-process bus below. Several: ./redis-bus.ts.
 */
import type { UserProfile } from "../core/types";

export type ClusterEvent =
  | { t: "online"; user: UserProfile }
  | { t: "offline"; userId: string }
  /** `op` lets the proposing node find the result of applying its own proposal. */
  | { t: "dialog"; id: string; a: string; b: string; op: string };

export interface ClusterBus {
  /** Starts delivering events to `apply`, beginning with the users available now. */
  start(apply: (event: ClusterEvent) => void): Promise<void>;
  /** This node now has the user (a first connection here, or a restore hold). */
  userArrived(user: UserProfile): Promise<void>;
  /** This node no longer has the user; if no node has them, they go offline everywhere. */
  userLeft(userId: string): Promise<void>;
  /**
   * Proposes a dialog. Resolves false when refused outright (a member is not available at this point
   * of the order); otherwise the event will be applied on every node, this one included.
   */
  proposeDialog(event: Extract<ClusterEvent, { t: "dialog" }>): Promise<boolean>;
  /** True when this node started alone (no other live node): it restores open dialogs by itself. */
  coldStart(): boolean;
  close(): Promise<void>;
}

/** One node: its own connections are the whole cluster; events apply at once, in call order. */
export class LocalBus implements ClusterBus {
  private apply: (event: ClusterEvent) => void = () => {};

  async start(apply: (event: ClusterEvent) => void): Promise<void> {
    this.apply = apply;
  }

  async userArrived(user: UserProfile): Promise<void> {
    this.apply({ t: "online", user });
  }

  async userLeft(userId: string): Promise<void> {
    this.apply({ t: "offline", userId });
  }

  async proposeDialog(event: Extract<ClusterEvent, { t: "dialog" }>): Promise<boolean> {
    this.apply(event);
    return true;
  }

  coldStart(): boolean {
    return true;
  }

  async close(): Promise<void> {}
}
