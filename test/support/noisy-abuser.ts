/**
 * The noisy neighbour, in a process of its own (so its client-side work cannot slow the bystanders'
 * measurements): one signed-in user who sends the most expensive valid payload of every event, one
 * event after the other, each far faster than the event limiter lets through, for `durationMs` in
 * all; plus the accomplices it talks to.
 *
 * Input (env NOISY_INPUT, JSON): url, abuser cookies (one per socket), churn cookies (fresh sessions
 * to connect with and sign out), accomplices [{id, cookie}], the id of the dialog-rich peer list,
 * durationMs. Prints JSON lines: {"ready": true} once connected with its dialogs open, {"phase": event}
 * as each event's turn begins, and {"summary": ...} when done.
 */
import { io, type Socket } from "socket.io-client";
import { LIMITS } from "../../lib/contract/limits";
import { request, type RequestEvent, type RequestInput } from "../../lib/client/request";
import type { ClientToServerEvents, ServerToClientEvents } from "../../lib/contract/events";

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

interface Input {
  url: string;
  abuserCookies: string[];
  churnCookies: string[];
  accomplices: { id: string; cookie: string }[];
  bystanderIds: string[];
  durationMs: number;
}

const input = JSON.parse(process.env.NOISY_INPUT ?? "{}") as Input;
const say = (o: unknown) => process.stdout.write(JSON.stringify(o) + "\n");

function connect(cookie: string): Promise<ClientSocket> {
  const socket: ClientSocket = io(input.url, { transports: ["websocket"], forceNew: true, reconnection: false, extraHeaders: { cookie } });
  return new Promise((resolve, reject) => {
    socket.once("session:welcome", () => resolve(socket));
    socket.once("connect_error", (err) => {
      socket.disconnect();
      reject(err);
    });
  });
}

const tally = new Map<string, Record<string, number>>();
function count(event: string, outcome: string): void {
  const t = tally.get(event) ?? {};
  t[outcome] = (t[outcome] ?? 0) + 1;
  tally.set(event, t);
}

/** Sends one request and counts its answer; resolves with the outcome ("ok" or the error code). */
async function ask<E extends RequestEvent>(socket: ClientSocket, event: E, payload: RequestInput<E>): Promise<string> {
  let outcome: string;
  try {
    const reply = (await request(socket, event, payload, 10_000)) as { ok: boolean; error?: string };
    outcome = reply.ok ? "ok" : (reply.error ?? "?");
  } catch {
    outcome = "no answer";
  }
  count(event, outcome);
  return outcome;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Keeps WORKERS requests in flight until the deadline, each sent the moment the previous one is
 * answered; after a refusal a worker tries again 20 ms later. So the abuser always has more asked
 * than the limiter lets through, and gets everything it does let through.
 */
const WORKERS = 4;
async function flood(until: number, step: (i: number) => Promise<string>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (Date.now() < until) if ((await step(i++)) !== "ok") await sleep(20);
    }),
  );
}

const accomplices = await Promise.all(input.accomplices.map((a) => connect(a.cookie)));
const abusers: ClientSocket[] = [];
for (const cookie of input.abuserCookies) abusers.push(await connect(cookie));
const main = abusers[0]!;
// Dialogs with every accomplice and both bystanders: the most dialogs a sync can name.
const dialogIds: string[] = [];
for (const peerId of [...input.accomplices.map((a) => a.id), ...input.bystanderIds]) {
  const res = await request(main, "dialog:open", { peerId }, 10_000);
  if (!res.ok) throw new Error(`abuser could not open a dialog: ${res.error}`);
  await sleep(150); // dialog:open costs 4 tokens: stay within the bucket while setting up
  dialogIds.push(res.dialog.id);
}
const withAccomplice = dialogIds[0]!;
say({ ready: true, dialogs: dialogIds.length });

const socketFor = (i: number) => abusers[i % abusers.length]!;
// The largest valid body: 2,000 astral characters (4 UTF-8 bytes, 2 UTF-16 units each).
const body = "\u{1F600}".repeat(LIMITS.messageMaxChars);
// A sync naming every dialog, each many times, from the start: 100 entries (the schema's maximum).
const sync = { dialogs: Array.from({ length: 100 }, (_, i) => ({ dialogId: dialogIds[i % dialogIds.length]!, afterSeq: 0 })) };
let keys = 0;
const churn = [...input.churnCookies];

/** One phase per event, each flooding its most expensive valid payload. */
const phases: { name: string; step: (i: number) => Promise<string> }[] = [
  { name: "dialog:sync", step: (i) => ask(socketFor(i), "dialog:sync", sync) },
  {
    name: "dialog:history",
    step: (i) => ask(socketFor(i), "dialog:history", { dialogId: dialogIds[i % dialogIds.length]!, limit: LIMITS.pageMaxMessages }),
  },
  {
    name: "message:send",
    step: (i) => ask(socketFor(i), "message:send", { dialogId: withAccomplice, clientKey: `noisy-${++keys}-key`, body }),
  },
  { name: "dialog:read", step: (i) => ask(socketFor(i), "dialog:read", { dialogId: dialogIds[i % dialogIds.length]!, seq: 1_000_000 }) },
  { name: "dialog:read-state", step: (i) => ask(socketFor(i), "dialog:read-state", {}) },
  {
    name: "dialog:typing",
    step: (i) => ask(socketFor(i), "dialog:typing", { dialogId: dialogIds[i % dialogIds.length]!, typing: i % 2 === 0 }),
  },
  { name: "dialog:open", step: (i) => ask(socketFor(i), "dialog:open", { peerId: input.accomplices[i % input.accomplices.length]!.id }) },
  {
    // A fresh session each time: connect (the handshake has its cost too), then sign it out.
    name: "connect + session:signout",
    step: async () => {
      const cookie = churn.shift();
      if (!cookie) return sleep(50).then(() => "out of sessions");
      try {
        const s = await connect(cookie);
        count("connect", "ok");
        // Signed out it must be (it is the most expensive use of this session): asked until allowed.
        let outcome = await ask(s, "session:signout", {});
        while (outcome === "rate_limited" && s.connected) outcome = await sleep(20).then(() => ask(s, "session:signout", {}));
        s.disconnect();
        return outcome;
      } catch (err) {
        const code = (err as { data?: { code?: string } }).data?.code ?? "refused";
        count("connect", code);
        if (code === "rate_limited") churn.push(cookie); // still a live session: try it again later
        return code;
      }
    },
  },
];
const phaseMs = Math.floor(input.durationMs / phases.length);
for (const phase of phases) {
  say({ phase: phase.name });
  await flood(Date.now() + phaseMs, phase.step);
}
// Last: every one of the abuser's sessions ends at once (asked until the bucket allows it).
say({ phase: "session:signout-everywhere" });
for (let tries = 0; tries < 100 && (await ask(main, "session:signout-everywhere", {})) === "rate_limited"; tries++) await sleep(100);
await new Promise((r) => setTimeout(r, 500));
say({ summary: Object.fromEntries(tally) });
for (const s of [...abusers, ...accomplices]) s.disconnect();
process.exit(0);
