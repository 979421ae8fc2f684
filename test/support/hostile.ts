/**
 * Hostile input for the fuzz, authorization and rate-limit suites: fast-check generators of malformed
 * payloads for every client event, an oracle of what the server must answer (the contract's own zod
 * schemas, applied to what actually crosses the wire), and small helpers around raw sends.
 */
import fc from "fast-check";
import type { Socket } from "socket.io-client";
import type { z } from "zod";
import { ERROR_CODES, type ErrorCode } from "../../lib/contract/errors";
import {
  emptyInput,
  historyInput,
  openDialogInput,
  readInput,
  readStateInput,
  sendMessageInput,
  syncInput,
  typingInput,
} from "../../lib/contract/schemas";
import type { ClientSocket } from "./test-server";

export const CLIENT_EVENTS = [
  "dialog:open",
  "message:send",
  "dialog:sync",
  "dialog:history",
  "dialog:read",
  "dialog:read-state",
  "dialog:typing",
  "session:signout",
] as const;
export type ClientEvent = (typeof CLIENT_EVENTS)[number];

export const SCHEMAS: Record<ClientEvent, z.ZodType> = {
  "dialog:open": openDialogInput,
  "message:send": sendMessageInput,
  "dialog:sync": syncInput,
  "dialog:history": historyInput,
  "dialog:read": readInput,
  "dialog:read-state": readStateInput,
  "dialog:typing": typingInput,
  "session:signout": emptyInput,
};

/** Names with no handler. Reserved names (connect, disconnect, ...) cannot be emitted by the client library. */
export const UNKNOWN_EVENTS = [
  "join",
  "room:join",
  "dialog:join",
  "subscribe",
  "admin",
  "message:new",
  "session:welcome",
  "presence:delta",
  "dialog:close",
  "DIALOG:OPEN",
  "dialog:open ",
  "message:send\u0000",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "error",
  "message",
  "ping",
  "x".repeat(2000),
  "",
];

export const isClientEvent = (e: string): e is ClientEvent => (CLIENT_EVENTS as readonly string[]).includes(e);

/** An object whose keys are all own enumerable properties, even `__proto__`: built by JSON.parse, as the server parses. */
export function ownObject(entries: [string, unknown][]): Record<string, unknown> {
  const parts = entries
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${JSON.stringify(k)}:${(JSON.stringify(v) as string | undefined) ?? "null"}`);
  return JSON.parse(`{${parts.join(",")}}`) as Record<string, unknown>;
}

/** How a client calls: with or without an ack, extra arguments, an ack that is not a function. */
export type Shape = "ack" | "no-ack" | "ack-only" | "extra-args" | "not-a-function" | "ack-not-last";
export interface Case {
  event: string;
  payload: unknown;
  shape: Shape;
  junk: unknown;
}

/** The arguments emitted before the ack (if any), and whether an ack function goes last. */
export function argsOf(c: Case): { args: unknown[]; ack: boolean } {
  switch (c.shape) {
    case "ack":
      return { args: [c.payload], ack: true };
    case "no-ack":
      return { args: [c.payload], ack: false };
    case "ack-only":
      return { args: [], ack: true };
    case "extra-args":
      return { args: [c.payload, c.junk, c.junk], ack: true };
    case "not-a-function":
      return { args: [c.payload, c.junk === undefined ? "ack" : c.junk], ack: false };
    case "ack-not-last":
      return { args: [c.payload, () => undefined, c.junk], ack: false };
  }
}

/** The payload the server's handler receives: socket.io encodes the arguments with JSON.stringify. */
export function receivedPayload(c: Case): unknown {
  const { args } = argsOf(c);
  if (args.length === 0) return undefined;
  return (JSON.parse(JSON.stringify(args)) as unknown[])[0];
}

/** Does the server's schema accept what it receives? (The oracle: if not, the answer is invalid_payload.) */
export function acceptedBySchema(c: Case): boolean {
  return isClientEvent(c.event) && SCHEMAS[c.event].safeParse(receivedPayload(c)).success;
}

/** Size of the Socket.IO packet on the wire, in bytes (must stay under the server's 64 KiB frame limit). */
export const packetBytes = (c: Case) => Buffer.byteLength(JSON.stringify([c.event, ...argsOf(c).args])) + 16;

/** Exactly `{ ok: false, error: <a contract code> }`: no message, no stack, nothing else. */
export function isErrorReply(x: unknown): x is { ok: false; error: ErrorCode } {
  if (typeof x !== "object" || x === null) return false;
  const keys = Object.keys(x).sort().join(",");
  const r = x as { ok?: unknown; error?: unknown };
  return keys === "error,ok" && r.ok === false && (ERROR_CODES as readonly unknown[]).includes(r.error);
}

export const short = (v: unknown, n = 240) => {
  const s = (JSON.stringify(v) as string | undefined) ?? String(v);
  return s.length > n ? `${s.slice(0, n)}...(${s.length} chars)` : s;
};

// ---- generators ---------------------------------------------------------------------------------

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

/** Strings up to ~60 KB on the wire, of characters that cost 1, 2, 4 or 6 (escaped lone surrogate) bytes. */
const hugeString = fc
  .tuple(fc.integer({ min: 2_000, max: 60_000 }), fc.constantFrom<[string, number]>(["x", 1], ["é", 2], ["😀", 4], ["\udc00", 6], [" ", 1]))
  .map(([bytes, [ch, cost]]) => ch.repeat(Math.floor(bytes / cost)));

const hostileString = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      "",
      " ",
      "\t\n ",
      "\u0000",
      "\u202e",
      "\ufeff",
      "\u200b",
      "😀",
      "<script>alert(1)</script>",
      "' OR 1=1 --",
      "${7*7}",
      "{{7*7}}",
      "../../etc/passwd",
      "__proto__",
      "constructor",
      "prototype",
      "toString",
      "NaN",
      "null",
      "[object Object]",
      "%00",
      "\\",
      '"',
      "\ud800",
      "a\udfffb",
      "\ud83d",
      "\udc00\ud800",
    ),
  },
  { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc.string({ unit: fc.oneof(loneSurrogate, fc.string({ unit: "binary", minLength: 1, maxLength: 1 })), maxLength: 24 }),
  },
  { weight: 1, arbitrary: hugeString },
);

const hostileNumber = fc.oneof(
  fc.constantFrom(
    NaN,
    Infinity,
    -Infinity,
    -0,
    0,
    1,
    -1,
    1.5,
    0.1,
    1e308,
    -1e308,
    5e-324,
    2 ** 31,
    -(2 ** 31),
    2 ** 53,
    2 ** 53 + 2,
    Number.MAX_SAFE_INTEGER,
    201,
    200,
    101,
  ),
  fc.double(),
  fc.integer(),
);

const deep = fc.integer({ min: 20, max: 1500 }).map((depth) => {
  let v: unknown = "bottom";
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
});

const protoObject = fc
  .tuple(fc.constantFrom("__proto__", "constructor", "prototype"), fc.constantFrom("polluted", "isAdmin", "ok", "userId"))
  .map(([k, inner]) => (k === "constructor" ? ownObject([[k, { prototype: { [inner]: true } }]]) : ownObject([[k, { [inner]: true }]])));

const leaf: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: hostileString },
  { weight: 4, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, undefined, true, false, [], {}, [[]], [{}], new Date(0)) },
  { weight: 1, arbitrary: protoObject },
);

/** Any hostile value: leaves, small arrays and objects of them, deep nesting, prototype keys. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: leaf },
  { weight: 1, arbitrary: fc.array(leaf, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), leaf, { maxKeys: 4 }) },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: protoObject },
);

export interface Pools {
  /** Ids of real users (the sender's own included) and of real dialogs (none of them the sender's). */
  userIds: string[];
  dialogIds: string[];
  /** Idempotency keys other users really used. */
  clientKeys: string[];
}

const EXTRA_KEYS = [
  "senderId",
  "userId",
  "sender",
  "senderName",
  "from",
  "room",
  "rooms",
  "socketId",
  "sessionId",
  "isAdmin",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "then",
];

function clientPayload(event: ClientEvent, p: Pools): fc.Arbitrary<unknown> {
  const real = fc.constantFrom(...p.userIds, ...p.dialogIds);
  const id = fc.oneof(
    { weight: 4, arbitrary: real },
    { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "x".repeat(64),
        "x".repeat(65),
        "__proto__",
        "constructor",
        "a b",
        "",
        "ä",
        ...p.dialogIds.map((d) => `dialog:${d}`),
        ...p.userIds.map((u) => `user:${u}`),
      ),
    },
    { weight: 1, arbitrary: hostileValue },
  );
  const seq = fc.oneof(fc.nat({ max: 500 }), hostileNumber, hostileValue);
  switch (event) {
    case "dialog:open":
      return fc.record({ peerId: id });
    case "message:send":
      return fc.record({
        dialogId: id,
        clientKey: fc.oneof(
          fc.constantFrom(...p.clientKeys, "short", "k".repeat(65)),
          fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/),
          hostileValue,
        ),
        body: fc.oneof(fc.constantFrom("hello", "", "   ", "x".repeat(2000), "x".repeat(2001)), hostileValue),
      });
    case "dialog:sync":
      return fc.record({ dialogs: fc.oneof(fc.array(fc.record({ dialogId: id, afterSeq: seq }), { maxLength: 120 }), hostileValue) });
    case "dialog:history":
      return fc.record({ dialogId: id, beforeSeq: seq, limit: seq }, { requiredKeys: ["dialogId"] });
    case "dialog:read":
      return fc.record({ dialogId: id, seq });
    case "dialog:read-state":
      return fc.record({ dialogIds: fc.oneof(fc.array(id, { maxLength: 120 }), hostileValue) }, { requiredKeys: [] });
    case "dialog:typing":
      return fc.record({ dialogId: id, typing: fc.oneof(fc.boolean(), hostileValue) });
    case "session:signout":
      return fc.constant({});
  }
}

/** A valid-looking payload, then one mutation: dropped or hostile field, extra key, wrong type, wrapping. */
function mutated(event: ClientEvent, p: Pools): fc.Arbitrary<unknown> {
  const extraKey = fc.oneof(fc.constantFrom(...EXTRA_KEYS), fc.string({ maxLength: 12 }));
  const extraValue = fc.oneof(fc.constantFrom<unknown>(...p.userIds, ...p.dialogIds.map((d) => `dialog:${d}`), true), hostileValue);
  return fc
    .tuple(clientPayload(event, p), fc.nat({ max: 9 }), hostileValue, extraKey, extraValue, fc.nat())
    .map(([base, how, hostile, key, value, pick]) => {
      const entries = Object.entries(base as Record<string, unknown>);
      const field = entries.length > 0 ? pick % entries.length : -1;
      switch (how) {
        case 0:
        case 1:
        case 2:
          return base; // may well be valid: the oracle decides
        case 3:
          return Object.fromEntries(entries.filter((_, i) => i !== field));
        case 4:
          return Object.fromEntries(entries.map(([k, v], i) => [k, i === field ? hostile : v]));
        case 5:
        case 6:
          return ownObject([...entries, [key, value]]);
        case 7:
          return hostile;
        case 8:
          return [base];
        default:
          return pick % 2 ? { payload: base } : { data: base, ...(base as object) };
      }
    });
}

/** One hostile request: a contract event (or an unknown one), a mutated payload, a calling shape. */
export function hostileCase(p: Pools): fc.Arbitrary<Case> {
  const shape = fc.constantFrom<Shape>("ack", "ack", "ack", "ack", "no-ack", "ack-only", "extra-args", "not-a-function", "ack-not-last");
  const known = fc
    .constantFrom(...CLIENT_EVENTS)
    .chain((event) => fc.record({ event: fc.constant<string>(event), payload: mutated(event, p) }));
  const unknown = fc.record({ event: fc.oneof(fc.constantFrom(...UNKNOWN_EVENTS), fc.string({ maxLength: 20 })), payload: hostileValue });
  return fc
    .tuple(
      fc.oneof({ weight: 9, arbitrary: known }, { weight: 1, arbitrary: unknown }),
      shape,
      fc.oneof(hostileValue, fc.constant(undefined)),
    )
    .map(([{ event, payload }, shape, junk]) => ({ event, payload, shape, junk }))
    .filter((c) => packetBytes(c) < 62_000)
    .filter((c) => !(c.event === "session:signout" && acceptedBySchema(c))); // a valid sign-out ends the socket: not hostile
}

/** The socket with no contract types, for sending what a well-behaved client never would. */
export const untyped = (s: ClientSocket) => s as unknown as Socket;

/** Writes one raw WebSocket text frame (any bytes, even invalid UTF-8) under the Socket.IO client. */
export function sendRawFrame(s: ClientSocket, data: string | Buffer): void {
  const transport = (s.io.engine as unknown as { transport: { ws?: { send(d: string | Buffer, o: { binary: boolean }): void } } })
    .transport;
  if (!transport.ws) throw new Error("no WebSocket under this client");
  transport.ws.send(data, { binary: false });
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
