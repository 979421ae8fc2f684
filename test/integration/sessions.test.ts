/**
 * Sessions that end. Signing out revokes the session on the server, so its cookie (or a copy of it)
 * opens no socket afterwards; signing out everywhere ends every session of the person; a user deleted
 * from the database is refused at once and their open sockets end within SESSION_RECHECK_MS; a
 * session's end slides with use but never past its maximum age. (The pages' side of the same check,
 * through the production server, is in http-routes.test.ts.)
 */
import Sqlite from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JWT } from "next-auth/jwt";
import { SessionRepository } from "../../server/persistence/session-repository";
import { ask, open, send } from "../support/client";
import { STEADY_HEARTBEAT, startTestServer, type Connected, type TestServer } from "../support/test-server";

const RECHECK_MS = 300;
const ended = (c: Connected) => new Promise<string>((resolve) => c.socket.once("disconnect", (reason) => resolve(reason)));

describe("sessions", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ ...STEADY_HEARTBEAT, SESSION_RECHECK_MS: String(RECHECK_MS) });
  });
  afterAll(() => t.close());

  it("signing out revokes the session: its cookie opens no socket any more; the person's other sessions go on", async () => {
    const alice = await t.createUser();
    const phone = await t.session(alice);
    const [laptopTab, phoneTab] = [await t.connect(alice), await t.connect(phone)];
    const gone = ended(laptopTab);
    expect(await ask(laptopTab, "session:signout", {})).toEqual({ ok: true });
    expect(await gone).toBe("io server disconnect");
    // The same cookie, replayed (a copy, another tab, a stolen one): refused, again and again.
    for (let i = 0; i < 8; i++) expect(await t.refused(alice)).toBe("unauthorized");
    expect(phoneTab.socket.connected).toBe(true);
    expect((await t.connect(phone)).welcome.self.id).toBe(alice.id);
  });

  it("signing out everywhere ends every session of that person, on every tab, and nobody else's", async () => {
    const [bob, carol] = [await t.createUser(), await t.createUser()];
    const other = await t.session(bob);
    const tabs = [await t.connect(bob), await t.connect(bob), await t.connect(other)];
    const c = await t.connect(carol);
    const dialogId = await open(c, bob.id);
    const reasons = tabs.map(ended);
    expect(await ask(tabs[2]!, "session:signout-everywhere", {})).toEqual({ ok: true, sessions: 2 });
    expect(await Promise.all(reasons)).toEqual(["io server disconnect", "io server disconnect", "io server disconnect"]);
    expect(await t.refused(bob)).toBe("unauthorized");
    expect(await t.refused(other)).toBe("unauthorized");
    // Bob is gone at once (no grace period), and Carol is told.
    expect(await c.log.waitFor("dialog:closed", (d) => d.dialogId === dialogId)).toMatchObject({ reason: "peer_offline" });
    expect(c.socket.connected).toBe(true);
    // A new sign-in works as before.
    expect((await t.connect(await t.session(bob))).welcome.self.id).toBe(bob.id);
  });

  it("a user deleted from the database is refused at once, and their open sockets end within SESSION_RECHECK_MS", async () => {
    const [dan, erin] = [await t.createUser(), await t.createUser()];
    const d = await t.connect(dan);
    const e = await t.connect(erin);
    const dialogId = await open(d, erin.id);
    await send(d, dialogId, "about to be deleted");
    const gone = ended(d);
    const deletedAt = Date.now();
    await t.server.database.db.user.delete({ where: { id: dan.id } });
    expect(await t.refused(dan)).toBe("unauthorized"); // at once: no cache in between
    expect(await gone).toBe("io server disconnect");
    const tookMs = Date.now() - deletedAt;
    expect(tookMs).toBeLessThan(RECHECK_MS + 1500);
    expect(e.socket.connected).toBe(true);
    console.log(`deleted user's socket ended ${tookMs} ms after the delete (SESSION_RECHECK_MS ${RECHECK_MS})`);
  });

  it("…even when deleted by another tool with foreign keys off (the session rows stay, the user is gone)", async () => {
    const fred = await t.createUser();
    const f = await t.connect(fred);
    const gone = ended(f);
    const raw = new Sqlite(t.dbFile);
    raw.pragma("busy_timeout = 5000");
    raw.pragma("foreign_keys = OFF"); // as the sqlite3 shell and most tools open a database
    raw.prepare(`DELETE FROM "User" WHERE "id" = ?`).run(fred.id);
    expect((raw.prepare(`SELECT count(*) AS n FROM "Session" WHERE "userId" = ?`).get(fred.id) as { n: number }).n).toBeGreaterThan(0);
    raw.close();
    expect(await t.refused(fred)).toBe("unauthorized");
    expect(await gone).toBe("io server disconnect");
  });

  it("a session ends when unused for SESSION_IDLE_S, slides with use, and never outlives SESSION_MAX_AGE_S", async () => {
    const gina = await t.createUser();
    let now = Date.now();
    const H = 3600_000;
    const sessions = new SessionRepository(t.server.database.db, { now: () => now }, { idleMs: 24 * H, maxAgeMs: 72 * H, refreshMs: H });
    await sessions.create("sliding-session-1", gina.id);
    const started = now;
    for (let day = 1; day <= 4; day++) {
      now = started + day * 20 * H; // used every 20 hours
      const live = await sessions.find("sliding-session-1");
      if (now < started + 72 * H) {
        expect(live?.expiresAt).toBeGreaterThan(now);
        await sessions.refresh(live!);
      } else {
        expect(live).toBeNull(); // past the maximum age, however much it was used
      }
    }
    await sessions.create("idle-session-1", gina.id);
    now += 24 * H + 1;
    expect(await sessions.find("idle-session-1")).toBeNull();
    // Ended rows are refused already; the periodic purge only keeps the table small.
    expect(await sessions.deleteExpired()).toBeGreaterThanOrEqual(2);
    expect(await t.server.database.db.session.count({ where: { id: { in: ["sliding-session-1", "idle-session-1"] } } })).toBe(0);
  });

  it("the periodic re-check's answer is the same through the SQLite fast path and through Prisma: live, expired, revoked, unknown", async () => {
    const [hal, ida] = [await t.createUser(), await t.createUser()];
    let now = Date.now();
    const H = 3600_000;
    const lifetime = { idleMs: 24 * H, maxAgeMs: 72 * H, refreshMs: H };
    const clock = { now: () => now };
    const prisma = new SessionRepository(t.server.database.db, clock, lifetime);
    const fast = new SessionRepository(t.server.database.db, clock, lifetime, { sqliteFile: t.dbFile });
    await prisma.create("recheck-old", hal.id);
    now += 23 * H;
    await prisma.create("recheck-new", hal.id);
    await prisma.create("recheck-revoked", ida.id);
    await prisma.revoke("recheck-revoked");
    now += 2 * H; // recheck-old is past its idle limit, recheck-new is not
    const ids = ["recheck-old", "recheck-new", "recheck-revoked", "recheck-unknown"];
    // More ids than one chunk, so the chunking is crossed too.
    const many = [...ids, ...Array.from({ length: 1200 }, (_, i) => `recheck-missing-${i}`), "recheck-new"];
    for (const repo of [prisma, fast]) expect([...(await repo.stillLive(many))]).toEqual(["recheck-new"]);
    fast.close();
  });

  it("the pages check the same row: next-auth's jwt callback ends a revoked session (the page then sends to sign-in)", async () => {
    const hana = await t.createUser();
    // next-auth calls it with the user on sign-in, and with the token alone on every later read.
    const jwt = t.server.services.authOptions.callbacks!.jwt as unknown as (p: {
      token: JWT;
      user?: { id: string; name: string };
    }) => Promise<JWT>;
    const token = (await jwt({ token: {}, user: { id: hana.id, name: hana.name } })) as JWT & { sid: string };
    await expect(jwt({ token })).resolves.toMatchObject({ sub: hana.id, sid: token.sid });
    await t.server.services.sessions.revoke(token.sid);
    await expect(jwt({ token })).rejects.toThrow(/session ended/);
    await expect(jwt({ token: { ...token, sub: "someone-else" } })).rejects.toThrow();
  });

  it("a revoked cookie replayed in a loop gets a few lookups, then is refused before the query", async () => {
    const ian = await t.createUser();
    const c = await t.connect(ian);
    const gone = ended(c);
    await ask(c, "session:signout", {});
    await gone;
    const lookups = countLookups(t);
    for (let i = 0; i < 20; i++) expect(await t.refused(ian)).toBe("unauthorized");
    expect(lookups.count()).toBeLessThanOrEqual(5 + 1);
    lookups.restore();
  });
});

/** Counts the session lookups the handshake makes (wraps the repository's find). */
function countLookups(t: TestServer) {
  const repo = t.server.services.sessions;
  const original = repo.find.bind(repo);
  let count = 0;
  repo.find = (id: string) => {
    count++;
    return original(id);
  };
  return { count: () => count, restore: () => void (repo.find = original) };
}
