/**
 * Wraps an event handler: validates the payload with zod, charges the event's cost to its user's
 * token bucket (its base, malformed payloads included, plus what the input alone decides), makes sure
 * a missing or non-function ack cannot crash anything, and turns unexpected failures into an
 * "internal" error code (logged with context, never sent as a stack trace). What depends on the work
 * done (the messages a read returns) the handler charges itself afterwards (server/core/event-costs.ts).
 * The handler's answer is typed by the contract: answering an event with another event's shape does
 * not compile.
 */
import type { z } from "zod";
import type { RequestEvent, RequestReply } from "../../lib/client/request";
import { EVENT_COSTS } from "../core/event-costs";
import type { Logger } from "../logger";
import type { Metrics } from "../observability/metrics";
import type { IoSocket } from "./types";

export interface HandlerContext {
  logger: Logger;
  metrics: Pick<Metrics, "eventAnswered" | "handshake">;
  /**
   * Takes `cost` tokens from the user's event bucket; false when there are not enough. `force`
   * charges work already done, overdrawing the bucket (later events wait until it is repaid).
   */
  charge(userId: string, cost: number, force?: boolean): Promise<boolean>;
}

/** What a handler can do beyond answering. */
export interface HandlerTools {
  /** Charges the part of its cost that depends on the work. */
  charge: (cost: number, force?: boolean) => Promise<boolean>;
  /**
   * Runs `effect` right after the ack is sent, in the same turn. Stored messages resolve in commit
   * order, so a broadcast made here reaches every socket in that order, interleaved correctly with
   * the acks of the same commit (made in the handler, every broadcast of a commit would go out
   * before any of its acks).
   */
  afterAnswer: (effect: () => void) => void;
}

export function safeHandler<E extends RequestEvent, S extends z.ZodType>(
  ctx: HandlerContext,
  socket: IoSocket,
  event: E,
  schema: S,
  run: (input: z.infer<S>, tools: HandlerTools) => Promise<RequestReply<E>>,
  /** Tokens on top of the event's base cost that the input alone decides (e.g. the dialogs a sync names). */
  price?: (input: z.infer<S>) => number,
): (...args: unknown[]) => void {
  const userId = socket.data.userId;
  const charge: HandlerTools["charge"] = (cost, force) => (cost > 0 ? ctx.charge(userId, cost, force) : Promise.resolve(true));
  const base = EVENT_COSTS[event].base;
  return (...args: unknown[]) => {
    const started = performance.now();
    // The ack is the last argument when the client asked for one; extra arguments are ignored.
    const last = args[args.length - 1];
    const ack = typeof last === "function" ? (last as (r: RequestReply<E>) => void) : undefined;
    const payload = ack ? args.slice(0, -1)[0] : args[0];
    // Built only when something is logged: this runs for every event, and most succeed quietly.
    const log = () => ctx.logger.child({ event, userId, socketId: socket.id });
    let effect: (() => void) | null = null;
    const tools: HandlerTools = { charge, afterAnswer: (fn) => (effect = fn) };
    const answer = (result: RequestReply<E>) => {
      // A flood of refusals must not become a flood of log lines: rate_limited is only counted (metrics).
      if (!result.ok && result.error !== "rate_limited") log().info({ error: result.error }, "event refused");
      ctx.metrics.eventAnswered(event, (performance.now() - started) / 1000, result.ok ? null : result.error);
      ack?.(result);
      effect?.();
    };
    void (async () => {
      // Decoding and parsing are bounded by the frame guard (./frame-guard.ts), which has counted this
      // frame already. Then everything known about the cost is charged in one go: a large request is
      // not starved by a stream of small charges, and a refused one has used up nothing.
      const parsed = schema.safeParse(payload);
      const cost = base + (parsed.success && price ? price(parsed.data) : 0);
      if (!(await ctx.charge(userId, cost))) {
        answer({ ok: false, error: "rate_limited" });
        return;
      }
      if (!parsed.success) {
        answer({ ok: false, error: "invalid_payload" });
        return;
      }
      answer(await run(parsed.data, tools));
    })().catch((err: unknown) => {
      log().error({ err }, "event handler failed");
      answer({ ok: false, error: "internal" });
    });
  };
}
