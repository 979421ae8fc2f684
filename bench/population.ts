/** Placing virtual users on workers and servers, connecting them, pairing them into conversations. */
import type { ServerProcess } from "./server-process";
import type { Identity } from "./virtual-user";
import type { ConnectResult, WorkerUser } from "./worker-protocol";
import type { WorkerPool } from "./workers";

/** Users by index, each on node `index % nodes` (round robin). */
export function place(users: Identity[], servers: ServerProcess[]): WorkerUser[] {
  return users.map((identity, index) => {
    const node = index % servers.length;
    return { index, identity, url: servers[node]!.url, node };
  });
}

/**
 * Conversation pairs. On one node: (0,1), (2,3), ... On several nodes (users round robin), half the
 * pairs are on one node and half across nodes: in each block of 12, (0,3) (1,4) (2,5) share a node
 * and (6,7) (8,9) (10,11) do not.
 */
export function pairUp(count: number, nodes: number): [number, number][] {
  const pairs: [number, number][] = [];
  let i = 0;
  if (nodes > 1 && nodes <= 3) {
    for (; i + 12 <= count; i += 12) {
      pairs.push([i, i + 3], [i + 1, i + 4], [i + 2, i + 5], [i + 6, i + 7], [i + 8, i + 9], [i + 10, i + 11]);
    }
  }
  for (; i + 2 <= count; i += 2) pairs.push([i, i + 1]);
  return pairs;
}

/** Each user's worker so that conversation partners share one (one clock for their latencies). */
export function workerByPair(pairs: [number, number][], workers: number): Map<number, number> {
  const of = new Map<number, number>();
  pairs.forEach(([a, b], p) => {
    of.set(a, p % workers);
    of.set(b, p % workers);
  });
  return of;
}

export interface ConnectTally {
  ok: number;
  failed: number;
  errors: Record<string, number>;
  results: ConnectResult[];
}

export function tally(results: ConnectResult[]): ConnectTally {
  const errors: Record<string, number> = {};
  let ok = 0;
  for (const r of results) {
    if (r.ok) ok++;
    else errors[r.error ?? "?"] = (errors[r.error ?? "?"] ?? 0) + 1;
  }
  return { ok, failed: results.length - ok, errors, results };
}

/** Connects the given users as fast as `concurrency` per worker allows. */
export async function connectAll(
  pool: WorkerPool,
  users: WorkerUser[],
  workerOf: (u: WorkerUser) => number,
  concurrency = 50,
  timeoutMs = 30_000,
): Promise<ConnectTally> {
  const shares: number[][] = Array.from({ length: pool.size }, () => []);
  for (const u of users) shares[workerOf(u) % pool.size]!.push(u.index);
  const results = await pool.all("connect", (w) => ({ indices: shares[w]!, concurrency, timeoutMs }));
  return tally(results.flat());
}

export async function openAll(
  pool: WorkerPool,
  pairs: [number, number][],
  workerOf: Map<number, number>,
): Promise<{ opened: number; errors: string[] }> {
  const shares: [number, number][][] = Array.from({ length: pool.size }, () => []);
  for (const pair of pairs) shares[workerOf.get(pair[0])!]!.push(pair);
  const results = await pool.all("open", (w) => ({ pairs: shares[w]!, concurrency: 50 }));
  return { opened: results.reduce((a, r) => a + r.opened, 0), errors: results.flatMap((r) => r.errors) };
}

export function describeErrors(errors: Record<string, number>): string {
  return Object.entries(errors)
    .map(([e, n]) => `${n}× ${e}`)
    .join(", ");
}

/** A note for the reader when connections failed for lack of file descriptors. */
export function fdNote(errors: Record<string, number>, serverLog: string[], limit: string): string | null {
  const text = Object.keys(errors).join(" ") + " " + serverLog.join(" ");
  if (!/EMFILE|ENFILE|too many open files|ECONNRESET|ECONNREFUSED/i.test(text)) return null;
  return `Connections failed (${text.match(/EMFILE|ENFILE|ECONNRESET|ECONNREFUSED|too many open files/i)?.[0]}). If this is EMFILE, raise the open-files limit before \`npm run bench\`, e.g. \`ulimit -n 65536\` (now: ${limit}).`;
}
