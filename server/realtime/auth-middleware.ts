/**
 * Handshake checks: a valid next-auth session cookie for a user who still exists, and room under the
 * per-user connection cap. A refusal reaches the client as connect_error with a code in `data`.
 */
import type { ErrorCode } from "../../lib/contract/errors";
import { readSession } from "../auth/session-token";
import type { RealtimeContext } from "./context";
import type { IoSocket } from "./types";

export class HandshakeError extends Error {
  readonly data: { code: ErrorCode | "too_many_connections" };
  constructor(code: ErrorCode | "too_many_connections") {
    super(code);
    this.data = { code };
  }
}

export function authMiddleware(ctx: RealtimeContext) {
  return (socket: IoSocket, next: (err?: Error) => void) => {
    void (async () => {
      const identity = await readSession(socket.request.headers.cookie, ctx.secret);
      const user = identity ? await ctx.users.findById(identity.userId) : null;
      if (!identity || !user) {
        ctx.logger.info({ ip: socket.handshake.address, hadCookie: Boolean(socket.request.headers.cookie) }, "handshake refused: no valid session");
        return next(new HandshakeError("unauthorized"));
      }
      if (ctx.messenger.connectionCount(user.id) >= ctx.maxConnectionsPerUser) {
        ctx.logger.warn({ userId: user.id }, "handshake refused: too many connections");
        return next(new HandshakeError("too_many_connections"));
      }
      socket.data = { userId: user.id, name: user.displayName, sessionId: identity.sessionId };
      next();
    })().catch((err: unknown) => {
      ctx.logger.error({ err }, "handshake failed");
      next(new HandshakeError("internal"));
    });
  };
}
