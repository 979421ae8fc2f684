/** Redis answers maps as flat arrays: [k1, v1, k2, v2, ...]. */
export function pairsOf<T>(flat: readonly T[]): [T, T][] {
  const out: [T, T][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i] as T, flat[i + 1] as T]);
  return out;
}
