/**
 * Handshake checks: a valid next-auth session cookie whose session is live in storage (one indexed
 * lookup that also proves the user exists: no cache, so a signed-out session or a deleted user is
 * refused at once), room under the per-user connection cap, and the connection's cost in the user's
 * event bucket (EVENT_COSTS.connect). A refusal reaches the client as connect_error with a code in
 * `data`.
 */
import type { ErrorCode } from "../../lib/contract/errors";
import { readSession } from "../auth/session-token";
import { EVENT_COSTS } from "../core/event-costs";
import type { RealtimeContext } from "./context";
import type { IoSocket } from "./types";

export class HandshakeError extends Error {
  readonly data: { code: ErrorCode };
  constructor(code: ErrorCode) {
    super(code);
    this.data = { code };
  }
}

export function authMiddleware(ctx: RealtimeContext) {
  const connectCost = EVENT_COSTS.connect.base;

  /** The handshake's verdict: the socket's data, or the refusal. */
  async function admit(socket: IoSocket): Promise<IoSocket["data"] | HandshakeError> {
    const unauthorized = (why: string) => {
      ctx.logger.info({ ip: socket.handshake.address, hadCookie: Boolean(socket.request.headers.cookie), why }, "handshake refused");
      return new HandshakeError("unauthorized");
    };
    const identity = await readSession(socket.request.headers.cookie, ctx.secret);
    if (!identity) return unauthorized("no valid session cookie");
    // Cheap checks first, so a refused handshake costs no query: a user with no tokens left for a
    // connection, or a session id that keeps failing the lookup (a signed-out cookie replayed).
    const { sessionId, userId } = identity;
    if ((await ctx.handshakeMisses.used(sessionId)) + 1 > ctx.handshakeMisses.rule.burst) return unauthorized("session keeps failing");
    if ((await ctx.eventBuckets.used(userId)) + connectCost > ctx.eventBuckets.rule.burst) return new HandshakeError("rate_limited");
    const session = await ctx.sessions.find(sessionId);
    if (!session || session.userId !== userId) {
      await ctx.handshakeMisses.take(sessionId, 1, true);
      return unauthorized("session ended or unknown");
    }
    if (ctx.messenger.connectionCount(userId) >= ctx.maxConnectionsPerUser) {
      ctx.logger.warn({ userId }, "handshake refused: too many connections");
      return new HandshakeError("too_many_connections");
    }
    if (!(await ctx.charge(userId, connectCost))) return new HandshakeError("rate_limited");
    // Connecting is using the session: it slides (at most one write per SESSION_REFRESH_S).
    ctx.sessions.refresh(session).catch((err: unknown) => ctx.logger.warn({ err }, "could not refresh a session"));
    return { userId, name: session.name, sessionId };
  }

  return (socket: IoSocket, proceed: (err?: Error) => void) => {
    const next = (refused?: HandshakeError) => {
      ctx.metrics.handshake(refused ? refused.data.code : null);
      proceed(refused);
    };
    admit(socket).then(
      (verdict) => {
        if (verdict instanceof HandshakeError) {
          next(verdict);
          return;
        }
        socket.data = verdict;
        next();
      },
      (err: unknown) => {
        ctx.logger.error({ err }, "handshake failed");
        next(new HandshakeError("internal"));
      },
    );
  };
}
