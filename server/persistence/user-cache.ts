/**
 * Remembers who exists, for the socket handshake: every connection checks that its session's user
 * still exists, and a login storm should not cost a database query per socket. Users are never
 * renamed, and an account removed from the database stops connecting within the TTL.
 */
export interface UserLookup {
  findById(id: string): Promise<{ id: string; displayName: string } | null>;
}

export class CachedUserLookup implements UserLookup {
  private readonly cache = new Map<string, { user: { id: string; displayName: string }; until: number }>();

  constructor(
    private readonly source: UserLookup,
    private readonly ttlMs = 60_000,
    private readonly maxEntries = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  async findById(id: string): Promise<{ id: string; displayName: string } | null> {
    const hit = this.cache.get(id);
    if (hit && hit.until > this.now()) return hit.user;
    const user = await this.source.findById(id);
    this.cache.delete(id);
    if (user) {
      // Oldest first in a Map: drop the oldest when full.
      if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(id, { user, until: this.now() + this.ttlMs });
    }
    return user;
  }
}
