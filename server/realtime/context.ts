import type { RateLimiterAbstract } from "rate-limiter-flexible";
import type { Messenger } from "../core/messenger";
import type { Clock } from "../core/types";
import type { Logger } from "../logger";
import type { ConversationRepository } from "../persistence/conversation-repository";
import type { MessageStore } from "../persistence/message-store";
import type { Dialog } from "../core/dialogs";
import type { ClusterBus } from "./cluster-bus";
import type { HandlerContext } from "./safe-handler";
import type { IoServer } from "./types";

/** What the Socket.IO layer needs, passed in rather than imported (tests build their own). */
export interface RealtimeDeps {
  logger: Logger;
  clock: Clock;
  messenger: Messenger;
  conversations: ConversationRepository;
  messages: MessageStore;
  users: { findById(id: string): Promise<{ id: string; displayName: string } | null> };
  secret: string;
  serverId: string;
  /** Orders presence and dialog changes across nodes (in-process on one node). */
  bus: ClusterBus;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  presenceBatchMs: number;
  maxConnectionsPerUser: number;
  /** Events per user (rate-limiter-flexible, in memory or in Redis). */
  eventLimiter: RateLimiterAbstract;
}

export interface RealtimeContext extends RealtimeDeps, HandlerContext {
  io: IoServer;
  /** Browser sessions being signed out: their sockets' disconnects skip the grace period. */
  signingOut: Set<string>;
  /** Resolves once the cluster knows this user arrived here (their own events come after it). */
  ready(userId: string): Promise<void>;
  /** Opens a dialog cluster-wide; null when a member was not available at that point of the order. */
  proposeDialog(id: string, a: string, b: string): Promise<{ dialog: Dialog; created: boolean } | null>;
}
