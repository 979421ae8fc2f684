/**
 * How long a sign-in lasts. A session ends `idleMs` after it was last refreshed (sliding: using it
 * moves the end forward) and never later than `maxAgeMs` after sign-in (absolute: a stolen cookie
 * cannot be kept alive forever). Refreshes are written at most once per `refreshMs`, so an active
 * session costs one write per period, not one per request.
 */
export interface SessionLifetime {
  idleMs: number;
  maxAgeMs: number;
  refreshMs: number;
}

export interface SessionTimes {
  createdAt: number;
  expiresAt: number;
}

export function firstExpiry(createdAt: number, life: SessionLifetime): number {
  return createdAt + Math.min(life.idleMs, life.maxAgeMs);
}

export function isLive(s: SessionTimes, now: number): boolean {
  return s.expiresAt > now;
}

/** The new expiry to store when a refresh is due, else null (nothing to write). */
export function slide(s: SessionTimes, now: number, life: SessionLifetime): number | null {
  if (!isLive(s, now)) return null;
  const next = Math.min(now + life.idleMs, s.createdAt + life.maxAgeMs);
  // Last refreshed at expiresAt - idleMs (or created); due once refreshMs has passed since.
  return next - s.expiresAt >= life.refreshMs ? next : null;
}
