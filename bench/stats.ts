/** Small statistics over samples: percentiles (nearest rank), summaries, CDF points for plots. */

export interface Summary {
  count: number;
  mean: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function sorted(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(asc: ArrayLike<number>, p: number): number {
  if (asc.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * asc.length);
  return asc[Math.min(asc.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(values: ArrayLike<number>): Summary {
  const asc = sorted(values);
  let sum = 0;
  for (const v of asc) sum += v;
  return {
    count: asc.length,
    mean: asc.length ? sum / asc.length : Number.NaN,
    min: asc.length ? asc[0]! : Number.NaN,
    p50: percentile(asc, 50),
    p95: percentile(asc, 95),
    p99: percentile(asc, 99),
    max: asc.length ? asc[asc.length - 1]! : Number.NaN,
  };
}

/** At most `points` (x, fraction <= x) pairs of the empirical CDF, always including the max. */
export function cdf(values: ArrayLike<number>, points = 400): [number, number][] {
  const asc = sorted(values);
  const n = asc.length;
  if (n === 0) return [];
  const out: [number, number][] = [];
  const step = Math.max(1, Math.floor(n / points));
  for (let i = 0; i < n; i += step) out.push([asc[i]!, (i + 1) / n]);
  if (out[out.length - 1]![1] !== 1) out.push([asc[n - 1]!, 1]);
  return out;
}

export const round = (v: number, digits = 2): number => (Number.isFinite(v) ? Math.round(v * 10 ** digits) / 10 ** digits : v);

export function concat(parts: ArrayLike<number>[]): Float64Array {
  const total = parts.reduce((a, p) => a + p.length, 0);
  const out = new Float64Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const mib = (bytes: number): number => round(bytes / 1024 / 1024, 1);
