/**
 * Sign-in sessions, one row per session JWT's `sid`. next-auth's Credentials provider needs JWT
 * sessions, so the cookie alone would stay valid until it expires; this table makes the server the
 * judge: a session whose row is gone (signed out, signed out everywhere, user deleted) or past its
 * expiry opens no socket and no page. Every check is one lookup by primary key, joined to the user
 * so a user deleted without the cascade (another tool, foreign keys off) is refused too.
 */
import Sqlite from "better-sqlite3";
import { firstExpiry, isLive, slide, type SessionLifetime } from "../core/session-policy";
import type { Clock } from "../core/types";
import type { Db } from "./database";

export interface LiveSession {
  sessionId: string;
  userId: string;
  /** The user's name as stored (never the token's copy). */
  name: string;
  createdAt: number;
  expiresAt: number;
}

interface Row {
  userId: string;
  displayName: string;
  createdAt: Date | string;
  expiresAt: Date | string;
}

/** The lookup as one statement: by primary key, joined to the user by primary key. */
const FIND = `SELECT s."userId", u."displayName", s."createdAt", s."expiresAt"
  FROM "Session" s JOIN "User" u ON u."id" = s."userId" WHERE s."id" = ?`;

/**
 * On the embedded SQLite file, the handshake's lookup runs as a prepared statement on a read-only
 * connection of its own (tens of microseconds instead of a Prisma round trip: it runs for every
 * connection of a login storm). A reader never waits in WAL mode; if it cannot read, Prisma answers.
 */
class SqliteLookup {
  private readonly db: Sqlite.Database;
  private readonly find: Sqlite.Statement<[string], Row>;

  constructor(file: string) {
    this.db = new Sqlite(file, { readonly: true });
    this.db.pragma("busy_timeout = 0");
    this.find = this.db.prepare<[string], Row>(FIND);
  }

  get(sessionId: string): Row | undefined {
    return this.find.get(sessionId);
  }

  close(): void {
    this.db.close();
  }
}

/** Prisma gives Dates; SQLite's own rows give the text Prisma stored ("…T…+00:00"). */
const time = (v: Date | string) => (typeof v === "string" ? Date.parse(v) : v.getTime());

/** Ids per query when re-checking many sessions (well under every database's parameter limit). */
const CHUNK = 500;

export class SessionRepository {
  private readonly fast: SqliteLookup | null;
  private readonly pgFind: string | null;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    readonly lifetime: SessionLifetime,
    /** Where the fast lookup reads: the SQLite file, or the PostgreSQL schema (its name is validated by config). */
    lookup: { sqliteFile?: string | undefined; pgSchema?: string | undefined } = {},
  ) {
    this.fast = lookup.sqliteFile ? new SqliteLookup(lookup.sqliteFile) : null;
    // Raw SQL is not qualified by the adapter's schema option: name it.
    this.pgFind = lookup.pgSchema
      ? FIND.replaceAll('"Session"', `"${lookup.pgSchema}"."Session"`)
          .replaceAll('"User"', `"${lookup.pgSchema}"."User"`)
          .replace("?", "$1")
      : null;
  }

  async create(sessionId: string, userId: string): Promise<void> {
    const now = this.clock.now();
    await this.db.session.create({
      data: { id: sessionId, userId, createdAt: new Date(now), expiresAt: new Date(firstExpiry(now, this.lifetime)) },
    });
  }

  /** The session if it is live and its user exists; null otherwise. One indexed lookup. */
  async find(sessionId: string): Promise<LiveSession | null> {
    const fast = this.readFast(sessionId);
    const row = fast !== undefined ? fast : await this.readPrisma(sessionId);
    if (!row) return null;
    const session = {
      sessionId,
      userId: row.userId,
      name: row.displayName,
      createdAt: time(row.createdAt),
      expiresAt: time(row.expiresAt),
    };
    return isLive(session, this.clock.now()) ? session : null;
  }

  /** PostgreSQL: the same statement, in its schema; elsewhere the same lookup through Prisma's model API. */
  private async readPrisma(sessionId: string): Promise<Row | null> {
    if (this.pgFind) return (await this.db.$queryRawUnsafe<Row[]>(this.pgFind, sessionId))[0] ?? null;
    const row = await this.db.session.findFirst({
      where: { id: sessionId, user: { is: {} } },
      select: { userId: true, createdAt: true, expiresAt: true, user: { select: { displayName: true } } },
    });
    return row && { userId: row.userId, displayName: row.user.displayName, createdAt: row.createdAt, expiresAt: row.expiresAt };
  }

  /** The row (or null: no such session) from the fast path; undefined when it cannot answer. */
  private readFast(sessionId: string): Row | null | undefined {
    if (!this.fast) return undefined;
    try {
      return this.fast.get(sessionId) ?? null;
    } catch {
      return undefined;
    }
  }

  close(): void {
    this.fast?.close();
  }

  /** Moves the expiry forward when a refresh is due (at most one write per SESSION_REFRESH_S). */
  async refresh(session: LiveSession): Promise<void> {
    const next = slide(session, this.clock.now(), this.lifetime);
    if (next === null) return;
    await this.db.session.updateMany({ where: { id: session.sessionId }, data: { expiresAt: new Date(next) } });
  }

  async revoke(sessionId: string): Promise<void> {
    await this.db.session.deleteMany({ where: { id: sessionId } });
  }

  /** Ends every session of the user; returns the ids of those that were there. */
  async revokeAll(userId: string): Promise<string[]> {
    const rows = await this.db.session.findMany({ where: { userId }, select: { id: true } });
    await this.db.session.deleteMany({ where: { id: { in: rows.map((r) => r.id) } } });
    return rows.map((r) => r.id);
  }

  /**
   * Which of these sessions are still live, a chunk at a time with the event loop free in between.
   * It runs over every socket of the node every SESSION_RECHECK_MS: on the SQLite file it is the
   * fast path's point lookups (at 10,000 sockets, Prisma's queries were a third of an idle server's
   * allocations, ~10 MB/s, and the garbage outlived young collections); elsewhere one query per chunk.
   */
  async stillLive(sessionIds: readonly string[]): Promise<Set<string>> {
    const live = new Set<string>();
    const now = this.clock.now();
    for (let i = 0; i < sessionIds.length; i += CHUNK) {
      const ids = sessionIds.slice(i, i + CHUNK);
      for (const id of this.liveFast(ids, now) ?? (await this.livePrisma(ids, now))) live.add(id);
      if (i + CHUNK < sessionIds.length) await new Promise((r) => setImmediate(r));
    }
    return live;
  }

  /** The live ones among `ids` by the fast path; null when it cannot answer. */
  private liveFast(ids: readonly string[], now: number): string[] | null {
    if (!this.fast) return null;
    const live: string[] = [];
    try {
      for (const id of ids) {
        const row = this.fast.get(id);
        if (row && isLive({ createdAt: time(row.createdAt), expiresAt: time(row.expiresAt) }, now)) live.push(id);
      }
    } catch {
      return null;
    }
    return live;
  }

  private async livePrisma(ids: string[], now: number): Promise<string[]> {
    const rows = await this.db.session.findMany({
      where: { id: { in: ids }, expiresAt: { gt: new Date(now) }, user: { is: {} } },
      select: { id: true },
    });
    return rows.map((r) => r.id);
  }

  /** Deletes sessions that ended (expired rows are already refused; this only keeps the table small). */
  async deleteExpired(): Promise<number> {
    return (await this.db.session.deleteMany({ where: { expiresAt: { lte: new Date(this.clock.now()) } } })).count;
  }
}
