/**
 * Wraps an event handler: enforces the per-user event rate, validates the payload with zod, makes
 * sure a missing or non-function ack cannot crash anything, and turns unexpected failures into an
 * "internal" error code (logged with context, never sent as a stack trace).
 */
import type { z } from "zod";
import type { ErrorCode } from "../../lib/contract/errors";
import type { Logger } from "../logger";
import type { IoSocket } from "./types";

export type HandlerResult = ({ ok: true } & object) | { ok: false; error: ErrorCode };

export interface HandlerContext {
  logger: Logger;
  /** Resolves false when the user has used up their events for now. */
  allowEvent(userId: string): Promise<boolean>;
}

export function safeHandler<S extends z.ZodType>(
  ctx: HandlerContext,
  socket: IoSocket,
  event: string,
  schema: S,
  run: (input: z.infer<S>) => Promise<HandlerResult>,
): (...args: unknown[]) => void {
  return (...args: unknown[]) => {
    // The ack is the last argument when the client asked for one; extra arguments are ignored.
    const last = args[args.length - 1];
    const ack = typeof last === "function" ? (last as (r: HandlerResult) => void) : undefined;
    const payload = ack ? args.slice(0, -1)[0] : args[0];
    // Built only when something is logged: this runs for every event, and most succeed quietly.
    const log = () => ctx.logger.child({ event, userId: socket.data.userId, socketId: socket.id });
    const answer = (result: HandlerResult) => {
      if (!result.ok) log().info({ error: result.error }, "event refused");
      ack?.(result);
    };
    void (async () => {
      if (!(await ctx.allowEvent(socket.data.userId))) return answer({ ok: false, error: "rate_limited" });
      const parsed = schema.safeParse(payload);
      if (!parsed.success) return answer({ ok: false, error: "invalid_payload" });
      answer(await run(parsed.data));
    })().catch((err: unknown) => {
      log().error({ err }, "event handler failed");
      answer({ ok: false, error: "internal" });
    });
  };
}
