/**
 * Delivery under chaos: many users in many conversations send through the real client protocol
 * (MessengerClient) while transports are cut without a close frame and the server process is killed
 * and restarted on the same database. Then every tab is checked against what was acknowledged.
 * Loopback only; bounded in users, messages and time.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { io } from "socket.io-client";
import { contiguousSeq } from "../../lib/client/message-list-merge";
import { MessengerClient, type ClientSocket } from "../../lib/client/messenger-client";
import { Accounts } from "../../server/auth/accounts";
import { openDatabase } from "../../server/persistence/database";
import { UserRepository } from "../../server/persistence/user-repository";
import { ChildServer, freePort } from "./child-server";
import { storedSessionCookie } from "./session-cookie";
import { destroyTransport } from "./test-server";

export interface ChaosOptions {
  pairs: number;
  /** Users with a second tab (each gets two clients that both receive; the first one sends). */
  secondTabs: number;
  messagesPerUser: number;
  /** Cut one random client's TCP connection this often (no close frame). */
  cutEveryMs: number;
  /** Server restarts during the run; "kill" is SIGKILL, "stop" is a graceful SIGTERM. */
  restarts: { mode: "kill" | "stop"; afterAcked: number }[];
  timeLimitMs: number;
  log?: (line: string) => void;
}

export interface ChaosFigures {
  users: number;
  tabs: number;
  sent: number;
  acknowledged: number;
  expectedDeliveries: number;
  delivered: number;
  lost: number;
  duplicates: number;
  orderViolations: number;
  storedRows: number;
  storedDuplicates: number;
  cuts: number;
  restarts: number;
  seconds: number;
  timedOut: boolean;
}

const SECRET = "chaos-test-secret-chaos-test-secret-0123";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Tab {
  userId: string;
  client: MessengerClient;
}

/** Cuts a connected client's TCP connection (no close frame); false when it is not connected now. */
function cut(socket: ClientSocket): boolean {
  if (!socket.connected) return false;
  try {
    destroyTransport(socket);
    return true;
  } catch {
    return false; // between transports: nothing to cut
  }
}

export async function runChaos(o: ChaosOptions): Promise<ChaosFigures> {
  const log = o.log ?? (() => {});
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), "duo-chaos-"));
  const dbUrl = `file:${join(dir, "chaos.db")}`;
  const server = new ChildServer({
    NODE_ENV: "test",
    HOST: "127.0.0.1",
    PORT: String(await freePort()),
    DATABASE_URL: dbUrl,
    NEXTAUTH_SECRET: SECRET,
    LOG_LEVEL: "error",
    // Long enough that a cut client or a restart never tears a dialog down mid-test.
    PRESENCE_GRACE_MS: "15000",
    RESTORE_GRACE_MS: "30000",
    HEARTBEAT_INTERVAL_MS: "2000",
    HEARTBEAT_TIMEOUT_MS: "2000",
    EVENTS_PER_SECOND: "100000",
    EVENTS_BURST: "100000",
    MAX_CONNECTIONS_PER_USER: "50",
  });
  const tabs: Tab[] = [];
  let cuts = 0;
  let restarts = 0;
  try {
    // Users are created straight in the database (the child serves no sign-up page).
    const db = await openDatabase(dbUrl);
    const accounts = new Accounts(new UserRepository(db.db));
    const users: { id: string; name: string; cookie: string }[] = [];
    for (let i = 0; i < o.pairs * 2; i++) {
      const r = await accounts.register({ username: `chaos${i}x${randomUUID().slice(0, 6)}`, password: "correct horse battery" });
      if (!r.ok) throw new Error("could not create a chaos user");
      users.push({ ...r.user, cookie: await storedSessionCookie(db.db, r.user, SECRET) });
    }
    await db.close();
    await server.start();

    const connect = (u: (typeof users)[number]): Tab => {
      const socket: ClientSocket = io(server.url, {
        transports: ["websocket"],
        forceNew: true,
        extraHeaders: { cookie: u.cookie },
        reconnectionDelay: 100,
        reconnectionDelayMax: 1000,
        randomizationFactor: 0.3,
      });
      const tab = { userId: u.id, client: new MessengerClient(socket) };
      tabs.push(tab);
      return tab;
    };
    const senders = users.map(connect);
    for (let i = 0; i < o.secondTabs; i++) connect(users[i]!);
    await until(() => tabs.every((t) => t.client.state.status === "connected"), 20_000, "all clients connected");

    // Open one dialog per pair and wait until it shows in every tab of both.
    for (let p = 0; p < o.pairs; p++) senders[2 * p]!.client.openDialog(users[2 * p + 1]!.id);
    const dialogOf = (userId: string) => tabs.find((t) => t.userId === userId)!.client.state.dialogs[0]?.id;
    await until(() => tabs.every((t) => t.client.state.dialogs.length === 1), 20_000, "dialogs open everywhere");
    log(`chaos: ${users.length} users, ${tabs.length} tabs, ${o.pairs} dialogs open`);

    // Everyone queues all their messages at once; each client sends them in order, one at a time.
    const queued = new Map<string, string[]>(); // senderId -> clientKeys in send order
    for (const s of senders) {
      const keys: string[] = [];
      const dialogId = dialogOf(s.userId)!;
      for (let n = 0; n < o.messagesPerUser; n++) {
        const r = s.client.send(dialogId, `${s.userId.slice(-4)} #${n}`);
        if (r.ok) keys.push(r.clientKey);
      }
      queued.set(s.userId, keys);
    }
    const sent = [...queued.values()].reduce((a, k) => a + k.length, 0);
    const pendingCount = () => senders.reduce((a, s) => a + (s.client.state.dialogs[0]?.outbox.length ?? 0), 0);

    // Chaos: cut random transports while sending; restart the server at the given progress points.
    const run = { done: false };
    const cutter = (async () => {
      while (!run.done) {
        await sleep(o.cutEveryMs);
        const t = tabs[Math.floor(Math.random() * tabs.length)]!;
        if (cut(t.client.socket)) cuts++;
      }
    })();
    const restarter = (async () => {
      for (const r of o.restarts) {
        while (!run.done && sent - pendingCount() < r.afterAcked) await sleep(20);
        if (run.done) return;
        log(`chaos: ${r.mode === "kill" ? "SIGKILL" : "SIGTERM"} at ${sent - pendingCount()} acknowledged`);
        if (r.mode === "kill") await server.kill();
        else await server.stop();
        await sleep(150);
        await server.start();
        restarts++;
      }
    })();

    const deadline = started + o.timeLimitMs;
    const expectedPerDialog = (dialogId: string) =>
      senders.filter((s) => dialogOf(s.userId) === dialogId).reduce((a, s) => a + queued.get(s.userId)!.length, 0);
    let timedOut = false;
    try {
      await until(() => pendingCount() === 0, deadline - Date.now(), "all messages acknowledged");
      run.done = true;
      await Promise.all([cutter, restarter]);
      await until(() => tabs.every((t) => t.client.state.status === "connected"), Math.max(1000, deadline - Date.now()), "reconnected");
      // Page in any history a tab only holds the newest part of, then wait for live and replayed traffic.
      await until(
        () => {
          for (const t of tabs) {
            const d = t.client.state.dialogs[0];
            if (d?.hasOlder) t.client.loadOlder(d.id);
          }
          return tabs.every((t) => {
            const d = t.client.state.dialogs[0];
            return d !== undefined && !d.hasOlder && d.messages.length >= expectedPerDialog(d.id);
          });
        },
        Math.max(1000, deadline - Date.now()),
        "every tab has every message",
      );
    } catch (err) {
      timedOut = true;
      log(`chaos: ${(err as Error).message}`);
    } finally {
      run.done = true;
      await Promise.all([cutter, restarter]);
    }

    // Figures, from what the clients hold and what the database stored.
    const acked = new Set<string>();
    for (const s of senders) {
      const outbox = new Set(s.client.state.dialogs[0]?.outbox.map((m) => m.clientKey));
      for (const k of queued.get(s.userId)!) if (!outbox.has(k)) acked.add(k);
    }
    let expectedDeliveries = 0;
    let delivered = 0;
    let duplicates = 0;
    let orderViolations = 0;
    for (const t of tabs) {
      const d = t.client.state.dialogs[0];
      if (!d) continue;
      const members = senders.filter((s) => dialogOf(s.userId) === d.id).map((s) => s.userId);
      const want = members.flatMap((m) => queued.get(m)!.filter((k) => acked.has(k)));
      expectedDeliveries += want.length;
      const seen = new Map<string, number>();
      for (let i = 0; i < d.messages.length; i++) {
        const m = d.messages[i]!;
        seen.set(m.clientKey, (seen.get(m.clientKey) ?? 0) + 1);
        if (i > 0 && m.seq !== d.messages[i - 1]!.seq + 1) orderViolations++;
      }
      if (d.messages[0] && d.messages[0].seq !== 1) orderViolations++;
      for (const k of want) if (seen.has(k)) delivered++;
      for (const n of seen.values()) if (n > 1) duplicates += n - 1;
      // Each sender's messages must appear in the order they were typed.
      for (const m of members) {
        const order = queued.get(m)!;
        const index = new Map(order.map((k, i) => [k, i]));
        let last = -1;
        for (const msg of d.messages) {
          if (msg.senderId !== m) continue;
          const i = index.get(msg.clientKey) ?? -1;
          if (i < last) orderViolations++;
          last = i;
        }
      }
    }
    // A run that fails says which tabs lack what, and what each believed (for the next person to read it).
    for (const t of tabs) {
      const d = t.client.state.dialogs[0];
      const want = d ? expectedPerDialog(d.id) : 0;
      if (!d || d.messages.length < want || contiguousSeq(d.messages) !== d.messages.length)
        log(`chaos: short tab ${describeTab(t.client, want)}`);
    }
    await server.stop();
    const check = await openDatabase(dbUrl);
    const storedRows = await check.db.message.count();
    const distinct = (await check.db.message.groupBy({ by: ["senderId", "clientKey"] })).length;
    await check.close();

    return {
      users: users.length,
      tabs: tabs.length,
      sent,
      acknowledged: acked.size,
      expectedDeliveries,
      delivered,
      lost: expectedDeliveries - delivered,
      duplicates,
      orderViolations,
      storedRows,
      storedDuplicates: storedRows - distinct,
      cuts,
      restarts,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      timedOut,
    };
  } finally {
    for (const t of tabs) t.client.close();
    await server.kill().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

function describeTab(client: MessengerClient, want: number): string {
  const d = client.state.dialogs[0];
  if (!d) return `status=${client.state.status} no dialog`;
  const gaps: string[] = [];
  for (let i = 1; i < d.messages.length; i++) {
    const [a, b] = [d.messages[i - 1]!.seq, d.messages[i]!.seq];
    if (b !== a + 1) gaps.push(`${a + 1}..${b - 1}`);
  }
  return (
    `status=${client.state.status} held=${d.messages.length}/${want} first=${d.messages[0]?.seq ?? "-"} ` +
    `last=${d.messages.at(-1)?.seq ?? "-"} gaps=[${gaps.join(",")}] hasOlder=${d.hasOlder} loaded=${d.loaded} outbox=${d.outbox.length}`
  );
}

async function until(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export function formatFigures(f: ChaosFigures): string {
  return (
    `chaos: users=${f.users} tabs=${f.tabs} sent=${f.sent} acknowledged=${f.acknowledged} ` +
    `expected_deliveries=${f.expectedDeliveries} delivered=${f.delivered} lost=${f.lost} duplicates=${f.duplicates} ` +
    `order_violations=${f.orderViolations} stored=${f.storedRows} stored_duplicates=${f.storedDuplicates} ` +
    `cuts=${f.cuts} restarts=${f.restarts} seconds=${f.seconds}${f.timedOut ? " TIMED OUT" : ""}`
  );
}
