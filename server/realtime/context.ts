import type { ClusterBus } from "../core/cluster-bus";
import type { Messenger } from "../core/messenger";
import type { NodeService } from "../core/node-service";
import type { Clock } from "../core/types";
import type { Logger } from "../logger";
import type { Metrics } from "../observability/metrics";
import type { ConversationRepository } from "../persistence/conversation-repository";
import type { MessageStore } from "../persistence/message-store";
import type { ReadPositionRepository } from "../persistence/read-positions";
import type { LiveSession } from "../persistence/session-repository";
import type { TokenBuckets } from "../rate-limits";
import type { HandlerContext } from "./safe-handler";
import type { IoServer } from "./types";

/** What the Socket.IO layer needs, passed in rather than imported (tests build their own). */
export interface RealtimeDeps {
  logger: Logger;
  clock: Clock;
  messenger: Messenger;
  conversations: ConversationRepository;
  messages: MessageStore;
  reads: ReadPositionRepository;
  /** Sign-in sessions: every handshake's session must be live here (server/persistence/session-repository.ts). */
  sessions: {
    find(sessionId: string): Promise<LiveSession | null>;
    refresh(session: LiveSession): Promise<void>;
    revoke(sessionId: string): Promise<void>;
    revokeAll(userId: string): Promise<string[]>;
    stillLive(sessionIds: readonly string[]): Promise<Set<string>>;
    deleteExpired(): Promise<number>;
  };
  /** How often open sockets' sessions are checked again. */
  sessionRecheckMs: number;
  secret: string;
  /** The app's public origin; null: the request's own Host over http (see server/http/origin.ts). */
  publicOrigin: string | null;
  serverId: string;
  /** Orders presence and dialog changes across nodes (in-process on one node). */
  bus: ClusterBus;
  /** After the shared state was lost, how long the nodes have to assert their users (NODE_TTL_MS). */
  rebuildWindowMs: number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  presenceBatchMs: number;
  presenceQuietMs: number;
  maxConnectionsPerUser: number;
  /** Each user's event token bucket (in memory, or in Redis shared by every node). */
  eventBuckets: TokenBuckets;
  /** Per session id: handshakes whose session lookup failed (HANDSHAKE_MISSES). */
  handshakeMisses: TokenBuckets;
  metrics: Pick<Metrics, "eventAnswered" | "handshake">;
}

export interface RealtimeContext extends RealtimeDeps, HandlerContext {
  io: IoServer;
  /** This node: arrivals and departures, dialogs, sign-out, the cluster's events (server/core/node-service.ts). */
  node: NodeService;
}
