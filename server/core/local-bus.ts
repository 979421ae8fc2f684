/**
 * The bus of a single node: its own connections are the whole cluster, so events apply at once, in
 * call order, and there is no shared state that could drift from this node's (no check-ins, no gaps).
 */
import type { BusListener, ClusterBus, ClusterEvent, DialogEvent, Snapshot } from "./cluster-bus";
import type { UserProfile } from "./types";

const EPOCH = "local";

export class LocalBus implements ClusterBus {
  private listener: BusListener | null = null;
  private seq = 0;

  async start(listener: BusListener): Promise<Snapshot> {
    this.listener = listener;
    return { position: { epoch: EPOCH, seq: this.seq }, users: [], dialogs: [] };
  }

  async userArrived(user: UserProfile): Promise<void> {
    this.apply({ t: "online", user });
  }

  async userLeft(userId: string): Promise<void> {
    this.apply({ t: "offline", userId });
  }

  async proposeDialog(event: DialogEvent): Promise<boolean> {
    this.apply(event);
    return true;
  }

  async sessionEnded(userId: string, sessionId: string): Promise<void> {
    this.apply({ t: "session-ended", userId, sessionId });
  }

  async requestCatchUp(): Promise<void> {
    this.apply({ t: "catch-up" });
  }

  /** This node's users are the cluster's: nothing is recorded elsewhere. */
  async assertUsers(): Promise<void> {}

  /** Nothing is kept elsewhere, so nothing is ever lost and needs restoring. */
  async restoreDialogs(): Promise<void> {}

  /** Never needed: this node's replica is the only copy of the state. */
  snapshot(): Promise<Snapshot> {
    return Promise.reject(new Error("a single node has no shared state to snapshot"));
  }

  coldStart(): boolean {
    return true;
  }

  async close(): Promise<void> {}

  private apply(event: ClusterEvent): void {
    this.listener?.event(event, { epoch: EPOCH, seq: ++this.seq });
  }
}
