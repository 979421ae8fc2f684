/**
 * The ordered log of cluster-wide changes, as a port of the node service. Every node applies the same
 * events in the same order to its replica (./messenger.ts), so all nodes agree on who is available
 * and which dialogs are open. One node: ./local-bus.ts. Several: server/cluster/redis-bus.ts.
 *
 * Each event has a position: an epoch (the life of the shared state; a new one begins when that state
 * was lost, e.g. Redis restarted empty) and a sequence number with no gaps within the epoch, so a node
 * knows when it missed something. At every heartbeat the bus also reports what the shared state holds
 * (a check-in), so a node finds out when its replica or the shared record of its own users has drifted.
 */
import type { UserId, UserProfile } from "./types";

export type ClusterEvent =
  | { t: "online"; user: UserProfile }
  | { t: "offline"; userId: UserId }
  /** `op` lets the proposing node find the result of applying its own proposal. */
  | { t: "dialog"; id: string; a: UserId; b: UserId; op: string }
  /** A browser session signed out: every node ends its sockets, and their departure skips the grace period. */
  | { t: "session-ended"; userId: UserId; sessionId: string }
  /** Broadcasts may have been lost somewhere (a broken Redis link): every node's clients catch up from storage. */
  | { t: "catch-up" };

export type DialogEvent = Extract<ClusterEvent, { t: "dialog" }>;

export interface Position {
  epoch: string;
  seq: number;
}

export interface DialogRecord {
  id: string;
  a: UserId;
  b: UserId;
}

/** The shared state at one position of the log. */
export interface Snapshot {
  position: Position;
  users: UserProfile[];
  dialogs: DialogRecord[];
}

/** What the shared state says at a heartbeat. */
export interface CheckIn {
  /** The last event written at that moment. */
  position: Position;
  /** How long ago the epoch began: a young epoch is still being rebuilt by the nodes. */
  epochAgeMs: number;
  /** Whether the shared record of this node's users is what this node reported. */
  membershipMatches: boolean;
  /** Cluster-wide totals at `position`. */
  users: number;
  dialogs: number;
}

export interface BusListener {
  /** The next event of the log, in order (a repeat or a jump shows up in `at`). */
  event(event: ClusterEvent, at: Position): void;
  checkIn(report: CheckIn): void;
  /** The link to the other nodes broke and is back: broadcasts sent meanwhile may be lost. */
  relinked(): void;
}

export interface ClusterBus {
  /** Joins: returns the shared state now; the events after it follow, in order. */
  start(listener: BusListener): Promise<Snapshot>;
  /** This node now has the user (a first connection here, or a restore hold). */
  userArrived(user: UserProfile): Promise<void>;
  /** This node no longer has the user; if no node has them, they go offline everywhere. */
  userLeft(userId: UserId): Promise<void>;
  /**
   * Proposes a dialog. Resolves false when refused outright (a member is not available, or at the
   * dialog cap, at this point of the order); otherwise the event will be applied on every node.
   */
  proposeDialog(event: DialogEvent): Promise<boolean>;
  /** Tells every node, this one included, that a browser session signed out. */
  sessionEnded(userId: UserId, sessionId: string): Promise<void>;
  /** Tells every node, this one included, to have its clients catch up. */
  requestCatchUp(): Promise<void>;
  /** Makes the shared record of this node's users exactly these (announcing whoever changes). */
  assertUsers(users: UserProfile[]): Promise<void>;
  /** Re-opens stored dialogs in the shared state where both members are available (after it was lost). */
  restoreDialogs(dialogs: DialogRecord[]): Promise<void>;
  /** The shared state now; the events after it follow (those before it may still arrive: skip them). */
  snapshot(): Promise<Snapshot>;
  /** True when this node started alone (no other live node): it restores open dialogs by itself. */
  coldStart(): boolean;
  close(): Promise<void>;
}
