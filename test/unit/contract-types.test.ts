/**
 * The contract is enforced by the compiler: `npm test`'s typecheck stage compiles this file, and each
 * `@ts-expect-error` below fails the build if the line under it ever compiles (an unused directive is
 * an error). The runtime assertions only make the test visible in the report.
 */
import { describe, expect, it } from "vitest";
import { ERROR_CODES, ERROR_TEXT, type ErrorCode } from "@/lib/contract/errors";
import { historyInput, openDialogInput } from "@/lib/contract/schemas";
import { HandshakeError } from "@/server/realtime/auth-middleware";
import { safeHandler, type HandlerContext } from "@/server/realtime/safe-handler";
import type { IoSocket } from "@/server/realtime/types";

// Never called: these only have to compile (or, where marked, fail to).
function handlersThatMustNotCompile(ctx: HandlerContext, socket: IoSocket): void {
  // @ts-expect-error dialog:history answers a page of messages, not dialog:open's shape
  safeHandler(ctx, socket, "dialog:history", historyInput, async () => ({
    ok: true,
    dialog: { id: "d", peer: { id: "p", name: "p" } },
    created: true,
  }));
  // @ts-expect-error a refusal carries a code from ERROR_CODES, not free text
  safeHandler(ctx, socket, "dialog:open", openDialogInput, async () => ({ ok: false, error: "no such person" }));
  // @ts-expect-error a handshake refusal also carries a known code
  new HandshakeError("banned");
  // The right shapes compile.
  safeHandler(ctx, socket, "dialog:history", historyInput, async () => ({ ok: true, messages: [], more: false }));
  safeHandler(ctx, socket, "dialog:open", openDialogInput, async () => ({ ok: false, error: "peer_unavailable" }));
}

describe("the event contract", () => {
  it("is enforced at compile time: a handler answering the wrong shape or an unknown code does not compile", () => {
    expect(typeof handlersThatMustNotCompile).toBe("function");
  });

  it("has words for every error code a client can be told", () => {
    const codes: readonly ErrorCode[] = ERROR_CODES;
    for (const code of codes) expect(ERROR_TEXT[code].length, code).toBeGreaterThan(10);
    expect(Object.keys(ERROR_TEXT).sort()).toEqual([...codes].sort());
  });
});
