/**
 * A load worker (child process): hosts a share of the virtual users and carries out the
 * coordinator's commands. Both participants of a conversation live in the same worker, so an
 * end-to-end latency is measured on one clock.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { readProc } from "./proc-stats";
import { summarize } from "./stats";
import { newKey, now, VirtualUser } from "./virtual-user";
import type {
  CommandName,
  ConnectResult,
  KillOutcome,
  Reply,
  Request,
  SteadyArgs,
  SteadyResult,
  WorkerCommands,
  WorkerUser,
} from "./worker-protocol";

interface Member extends WorkerUser {
  vu: VirtualUser;
  conversationId?: string;
  peer?: Member;
  presence?: { seen: Uint8Array; count: number; completeAt: number; deltas: number };
}

const members = new Map<number, Member>();
let populationIndex: Map<string, number> | null = null;
const LOOP_RESOLUTION_MS = 5;
const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
loopDelay.enable();

// Per-run tables the users' event handlers write into.
interface Pending {
  t0: number;
  measured: boolean;
  sameNode: boolean;
  delivered: boolean;
  acked: boolean;
}
let inFlight = new Map<string, Pending>();
let steadyTally: { delivered: number; same: number[]; cross: number[] } = { delivered: 0, same: [], cross: [] };
const victims = new Map<string, KillOutcome & { peerIndex: number }>();

function presenceSet(m: Member, id: string, on: boolean): void {
  const p = m.presence!;
  const i = populationIndex!.get(id);
  if (i === undefined || i === m.index) return;
  if (on && !p.seen[i]) {
    p.seen[i] = 1;
    p.count++;
  } else if (!on && p.seen[i]) {
    p.seen[i] = 0;
    p.count--;
  }
}

function checkComplete(m: Member, at: number): void {
  const p = m.presence!;
  if (Number.isNaN(p.completeAt) && p.count === populationIndex!.size - 1) p.completeAt = at;
}

function addMember(u: WorkerUser, track: boolean): void {
  const m: Member = { ...u, vu: undefined as unknown as VirtualUser };
  if (track) m.presence = { seen: new Uint8Array(populationIndex!.size), count: 0, completeAt: Number.NaN, deltas: 0 };
  m.vu = new VirtualUser(
    u.identity,
    {
      message(msg, at) {
        if (msg.senderId === m.identity.id) return; // our own message, echoed to our room
        const p = inFlight.get(msg.key);
        if (!p || p.delivered) return;
        p.delivered = true;
        if (p.measured) {
          steadyTally.delivered++;
          (p.sameNode ? steadyTally.same : steadyTally.cross).push(at - p.t0);
        }
        if (p.acked) inFlight.delete(msg.key);
      },
      presenceSnapshot(ids, at) {
        if (!m.presence) return;
        m.presence.seen.fill(0);
        m.presence.count = 0;
        for (const id of ids) presenceSet(m, id, true);
        checkComplete(m, at);
      },
      presenceDelta(online, offline, at) {
        if (m.presence) {
          m.presence.deltas++;
          for (const id of online) presenceSet(m, id, true);
          for (const id of offline) presenceSet(m, id, false);
          checkComplete(m, at);
        }
        if (victims.size > 0) {
          for (const id of offline) {
            const v = victims.get(id);
            if (v && v.peerIndex === m.index && v.offlineAt === undefined) v.offlineAt = at;
          }
        }
      },
      conversationClosed(_conversationId, peerId, at) {
        const v = victims.get(peerId);
        if (v && v.peerIndex === m.index && v.closedAt === undefined) v.closedAt = at;
      },
    },
    u.target ?? "duo",
  );
  members.set(u.index, m);
}

/** Runs `task` over `items` with at most `concurrency` at once. */
async function pool<T>(items: T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await task(items[next++]!);
  });
  await Promise.all(lanes);
}

const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - now())));

async function connect(args: WorkerCommands["connect"]["args"]): Promise<ConnectResult[]> {
  const results: ConnectResult[] = [];
  const one = async (index: number, i: number) => {
    const m = members.get(index);
    if (!m) return void results.push({ index, ok: false, error: "unknown user" });
    const at = args.at?.[i];
    if (at !== undefined) await sleepUntil(at);
    const startedAt = now();
    try {
      const welcomeAt = await m.vu.connect(m.url, args.timeoutMs);
      results.push({ index, ok: true, startedAt, welcomeAt, ...(m.vu.serverId ? { serverId: m.vu.serverId } : {}) });
    } catch (err) {
      results.push({ index, ok: false, startedAt, error: (err as Error).message });
    }
  };
  if (args.at) await Promise.all(args.indices.map((index, i) => one(index, i)));
  else
    await pool(
      args.indices.map((index, i) => [index, i] as const),
      args.concurrency,
      ([index, i]) => one(index, i),
    );
  return results;
}

async function open(args: WorkerCommands["open"]["args"]): Promise<WorkerCommands["open"]["result"]> {
  let opened = 0;
  const errors: string[] = [];
  await pool(args.pairs, args.concurrency, async ([a, b]) => {
    const ma = members.get(a);
    const mb = members.get(b);
    if (!ma || !mb) return void errors.push("pair not in this worker");
    try {
      const id = await ma.vu.openConversation(mb.identity.id);
      ma.conversationId = mb.conversationId = id;
      ma.peer = mb;
      mb.peer = ma;
      opened++;
    } catch (err) {
      errors.push((err as Error).message);
    }
  });
  return { opened, errors };
}

/**
 * Open-loop sending: every sender sends every `1000/rate` ms from a random phase. One timer drives all
 * of them (senders sorted by phase; the k-th round of sender i is due at startAt + phase_i + k*interval),
 * so the generator's cost per message is one send and one key, not a timer and a promise chain.
 */
async function steady(args: SteadyArgs): Promise<SteadyResult> {
  inFlight = new Map();
  steadyTally = { delivered: 0, same: [], cross: [] };
  const measureFrom = args.startAt + args.warmupMs;
  const stopAt = measureFrom + args.measureMs;
  const interval = 1000 / args.rate;
  const ack: number[] = [];
  const lag: number[] = [];
  const ackErrors: Record<string, number> = {};
  let sent = 0;
  let sentMeasured = 0;
  let acked = 0;
  const senders = [...members.values()]
    .filter((m) => m.conversationId && m.peer && m.vu.connected)
    .map((m) => ({ m, phase: Math.random() * interval, sameNode: m.node === m.peer!.node }))
    .sort((a, b) => a.phase - b.phase);
  const sendOne = (s: (typeof senders)[number], due: number) => {
    const m = s.m;
    const key = newKey();
    const t0 = now();
    const measured = t0 >= measureFrom && t0 < stopAt;
    const p: Pending = { t0, measured, sameNode: s.sameNode, delivered: false, acked: false };
    inFlight.set(key, p);
    sent++;
    if (measured) {
      sentMeasured++;
      lag.push(t0 - due);
    }
    void m.vu.send(m.conversationId!, key, args.body).then((r) => {
      const t1 = now();
      p.acked = true;
      if (r.ok) {
        acked++;
        if (measured) ack.push(t1 - t0);
      } else ackErrors[r.error ?? "?"] = (ackErrors[r.error ?? "?"] ?? 0) + 1;
      if (p.delivered) inFlight.delete(key); // a refused or timed-out send may still be delivered late
    });
  };
  if (senders.length > 0) {
    await new Promise<void>((resolve) => {
      let k = 0;
      let i = 0;
      const tick = () => {
        const t = now();
        // A generator that fell behind sends what is due in slices, so arrivals are still read in between.
        for (let burst = 0; ; burst++) {
          if (burst === 256) return void setImmediate(tick);
          const s = senders[i]!;
          const due = args.startAt + s.phase + k * interval;
          if (due >= stopAt) {
            resolve();
            return;
          }
          if (due > t) return void setTimeout(tick, Math.max(0, due - now()));
          if (s.m.vu.connected) sendOne(s, due);
          if (++i === senders.length) {
            i = 0;
            k++;
          }
        }
      };
      tick();
    });
  }
  const drainEnd = now() + args.drainMs;
  const open = () => {
    let n = 0;
    for (const p of inFlight.values()) if (p.measured && (!p.acked || !p.delivered)) n++;
    return n;
  };
  while (now() < drainEnd && open() > 0) await new Promise((r) => setTimeout(r, 20));
  const lagS = summarize(lag);
  return {
    sent,
    sentMeasured,
    acked,
    ackErrors,
    delivered: steadyTally.delivered,
    undelivered: sentMeasured - steadyTally.delivered,
    latencySameNode: Float64Array.from(steadyTally.same),
    latencyCrossNode: Float64Array.from(steadyTally.cross),
    ackLatency: Float64Array.from(ack),
    sendLagP99: lagS.count ? lagS.p99 : 0,
    sendLagMax: lagS.count ? lagS.max : 0,
  };
}

async function kill(args: WorkerCommands["kill"]["args"]): Promise<KillOutcome[]> {
  victims.clear();
  const orders = args.orders.filter((o) => members.get(o.index)?.peer);
  for (const o of orders) {
    const m = members.get(o.index)!;
    victims.set(m.identity.id, { index: o.index, mode: o.mode, killedAt: Number.NaN, peerIndex: m.peer!.index });
  }
  await Promise.all(
    orders.map(async (o) => {
      await sleepUntil(o.at);
      const m = members.get(o.index)!;
      const v = victims.get(m.identity.id)!;
      v.killedAt = now();
      if (!m.vu.kill(o.mode)) v.killedAt = Number.NaN;
    }),
  );
  const end = now() + args.waitMs;
  const done = () =>
    [...victims.values()].every((v) => Number.isNaN(v.killedAt) || (v.closedAt !== undefined && v.offlineAt !== undefined));
  while (now() < end && !done()) await new Promise((r) => setTimeout(r, 20));
  return [...victims.values()].map(({ peerIndex: _, ...v }) => v);
}

const handlers: { [C in CommandName]: (args: WorkerCommands[C]["args"]) => Promise<WorkerCommands[C]["result"]> } = {
  async add({ users, track }) {
    if (track) populationIndex = new Map(track.populationIds.map((id, i) => [id, i]));
    for (const u of users) addMember(u, Boolean(track));
    return { added: users.length };
  },
  connect,
  open,
  steady,
  async presence({ full }) {
    const tracked = [...members.values()].filter((m) => m.presence);
    const complete = tracked.filter((m) => !Number.isNaN(m.presence!.completeAt)).length;
    if (!full) return { tracked: tracked.length, complete };
    return {
      tracked: tracked.length,
      complete,
      completeAt: Float64Array.from(tracked.map((m) => m.presence!.completeAt)),
      deltaEvents: Uint32Array.from(tracked.map((m) => m.presence!.deltas)),
    };
  },
  kill,
  async stats() {
    const cpu = process.cpuUsage();
    const s = {
      cpuUserMicros: cpu.user,
      cpuSystemMicros: cpu.system,
      rssBytes: process.memoryUsage.rss(),
      // The histogram holds the sampling timer's whole period: the delay is what exceeds it.
      loopDelayP99: Math.max(0, loopDelay.percentile(99) / 1e6 - LOOP_RESOLUTION_MS),
      loopDelayMax: Math.max(0, loopDelay.max / 1e6 - LOOP_RESOLUTION_MS),
      runQueueWaitSeconds: readProc(process.pid)?.runQueueWaitSeconds ?? 0,
      connected: [...members.values()].filter((m) => m.vu.connected).length,
    };
    loopDelay.reset();
    return s;
  },
  async setNodes({ nodes }) {
    let set = 0;
    for (const [index, node] of nodes) {
      const m = members.get(index);
      if (m) {
        m.node = node;
        set++;
      }
    }
    return { set };
  },
  async closeAll() {
    const n = members.size;
    for (const m of members.values()) m.vu.close();
    members.clear();
    return { closed: n };
  },
};

process.on("message", (msg: Request) => {
  const handler = handlers[msg.cmd] as (args: unknown) => Promise<unknown>;
  handler(msg.args).then(
    (result) => process.send!({ id: msg.id, ok: true, result } satisfies Reply),
    (err: unknown) =>
      process.send!({ id: msg.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies Reply),
  );
});
process.on("disconnect", () => process.exit(0));
process.on("uncaughtException", (err) => {
  process.stderr.write(`load worker ${process.pid}: uncaught ${err.stack ?? err.message}\n`);
});
