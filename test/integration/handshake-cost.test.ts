/**
 * What the session check adds to a handshake. Every Socket.IO handshake looks its session up (no cache,
 * so revocation is immediate); that must stay one indexed lookup, cheap enough for a login storm of
 * 2,000 users. Measured on a database of 2,000 users and sessions: the lookup alone, its query plan,
 * and the production server's CPU per handshake while 500 users connect at once.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Sqlite from "better-sqlite3";
import { encode } from "next-auth/jwt";
import { io } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../server/persistence/database";
import { SessionRepository } from "../../server/persistence/session-repository";
import { ChildServer, freePort } from "../support/child-server";
import type { ClientSocket } from "../support/test-server";

const SECRET = "handshake-cost-secret-0123456789abcdef";
const USERS = 2000;
const STORM = 500;

/** CPU seconds (user + system) the process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

describe("handshake cost", () => {
  const dir = mkdtempSync(join(tmpdir(), "duo-handshake-"));
  const file = join(dir, "storm.db");
  const sessions: { userId: string; name: string; sid: string }[] = [];
  beforeAll(async () => {
    const database = await openDatabase(`file:${file}`);
    await database.close();
    const db = new Sqlite(file);
    const user = db.prepare(`INSERT INTO "User" ("id", "handle", "displayName", "passwordHash") VALUES (?, ?, ?, 'not-a-hash')`);
    const session = db.prepare(`INSERT INTO "Session" ("id", "userId", "createdAt", "expiresAt") VALUES (?, ?, ?, ?)`);
    const now = new Date().toISOString().replace("Z", "+00:00");
    const later = new Date(Date.now() + 24 * 3600_000).toISOString().replace("Z", "+00:00");
    db.transaction(() => {
      for (let i = 0; i < USERS; i++) {
        const s = { userId: `storm-user-${i}`, name: `storm${i}`, sid: randomUUID() };
        user.run(s.userId, s.name, s.name);
        session.run(s.sid, s.userId, now, later);
        sessions.push(s);
      }
    })();
    db.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("the session check is one lookup by primary key, joined to its user by primary key", async () => {
    const db = new Sqlite(file, { readonly: true });
    const plan = db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT s."userId", u."displayName", s."createdAt", s."expiresAt" FROM "Session" s JOIN "User" u ON u."id" = s."userId" WHERE s."id" = ?`,
      )
      .all("x") as { detail: string }[];
    db.close();
    // This is the query server/persistence/session-repository.ts runs (kept in step by the next test's timing).
    expect(plan.map((p) => p.detail)).toEqual([
      expect.stringMatching(/^SEARCH s USING INDEX sqlite_autoindex_Session_1 \(id=\?\)$/),
      expect.stringMatching(/^SEARCH u USING INDEX sqlite_autoindex_User_1 \(id=\?\)$/),
    ]);

    const database = await openDatabase(`file:${file}`);
    const repo = new SessionRepository(
      database.db,
      { now: () => Date.now() },
      { idleMs: 3600_000, maxAgeMs: 7200_000, refreshMs: 60_000 },
      { sqliteFile: database.sqliteFile },
    );
    for (const s of sessions.slice(0, 100)) await repo.find(s.sid); // warm up
    const started = performance.now();
    for (const s of sessions) expect((await repo.find(s.sid))?.userId).toBe(s.userId);
    const perLookupUs = ((performance.now() - started) * 1000) / sessions.length;
    repo.close();
    await database.close();
    console.log(`session lookup: ${perLookupUs.toFixed(0)} µs each (${USERS} lookups, ${USERS} sessions, prepared statement on SQLite)`);
    expect(perLookupUs).toBeLessThan(5000);
  });

  it(`a storm of ${STORM} users connecting at once: server CPU per handshake, session check included`, { timeout: 60_000 }, async () => {
    const server = ChildServer.app({
      NODE_ENV: "test",
      HOST: "127.0.0.1",
      PORT: String(await freePort()),
      DATABASE_URL: `file:${file}`,
      NEXTAUTH_SECRET: SECRET,
      LOG_LEVEL: "warn",
    });
    await server.start();
    const sockets: ClientSocket[] = [];
    try {
      const cookies = await Promise.all(
        sessions
          .slice(0, STORM)
          .map(
            async (s) => `next-auth.session-token=${await encode({ token: { sub: s.userId, name: s.name, sid: s.sid }, secret: SECRET })}`,
          ),
      );
      const pid = server.pid!;
      const cpuBefore = cpuSeconds(pid);
      const started = Date.now();
      await Promise.all(
        cookies.map(
          (cookie) =>
            new Promise<void>((resolve, reject) => {
              const socket: ClientSocket = io(server.url, {
                transports: ["websocket"],
                forceNew: true,
                reconnection: false,
                extraHeaders: { cookie },
              });
              sockets.push(socket);
              socket.once("session:welcome", () => resolve());
              socket.once("connect_error", reject);
            }),
        ),
      );
      const wallMs = Date.now() - started;
      const cpuMs = (cpuSeconds(pid) - cpuBefore) * 1000;
      console.log(
        `login storm: ${STORM} handshakes in ${wallMs} ms; server CPU ${cpuMs.toFixed(0)} ms, ${(cpuMs / STORM).toFixed(2)} ms per handshake ` +
          `(JWT decode, session lookup, welcome, presence; the load generator shares the machine)`,
      );
      expect(cpuMs / STORM).toBeLessThan(20);
    } finally {
      for (const s of sockets) s.disconnect();
      await server.stop();
    }
  });
});
