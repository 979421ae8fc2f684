/**
 * Issue 6: the limits. Per-user event rate with the default limits (EVENTS_PER_SECOND=30, EVENTS_BURST=60:
 * 60 events per fixed window of ceil(60/30) = 2 s), the dialog cap, the connection cap, and the sign-in
 * limits (per username and per client IP), called through the Credentials provider next-auth uses.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Reply } from "../support/client";
import { ask, newKey, open, range, send } from "../support/client";
import { sleep } from "../support/hostile";
import { STEADY_HEARTBEAT, startTestServer, waitFor, type Connected, type TestServer } from "../support/test-server";

const WINDOW_MS = 2_000; // EVENTS_BURST / EVENTS_PER_SECOND, rounded up to whole seconds
const PASSWORD = "correct horse battery"; // what the harness's createUser uses

type SendReply = Reply<"message:send">;
const sendTo = (c: Connected, dialogId: string, body: string) => ask(c, "message:send", { dialogId, clientKey: newKey(), body }, 30_000);
const tallyOf = (replies: SendReply[]) => ({
  ok: replies.filter((r) => r.ok).length,
  limited: replies.filter((r) => !r.ok && r.error === "rate_limited").length,
});

describe("event rate, default limits (60 events per 2 s window, per user)", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ ...STEADY_HEARTBEAT });
    expect([t.config.EVENTS_PER_SECOND, t.config.EVENTS_BURST]).toEqual([30, 60]);
  });
  afterAll(() => t.close());

  const pair = async () => {
    const [u, v] = [await t.createUser(), await t.createUser()];
    const [cu, cv] = [await t.connect(u), await t.connect(v)];
    return { u, v, cu, cv, id: await open(cu, v.id) };
  };
  const storedIn = (dialogId: string) => t.server.database.db.message.count({ where: { conversationId: dialogId } });

  it("a burst of 200 sends gets rate_limited answers, keeps the connection, and sending works again after the window", async () => {
    const { u, cu, cv, id } = await pair();
    const replies = await Promise.all(range(200).map((i) => sendTo(cu, id, `burst ${i}`)));
    const { ok, limited } = tallyOf(replies);
    expect(ok + limited).toBe(200); // nothing but accepted or rate_limited
    expect(limited).toBeGreaterThan(0);
    expect(ok).toBeGreaterThan(0);
    // At most two windows' worth (the burst could straddle a window boundary on a slow machine).
    expect(ok).toBeLessThanOrEqual(120);
    expect(cu.socket.connected).toBe(true);
    expect(t.server.messenger.connectionCount(u.id)).toBe(1);
    expect(await storedIn(id)).toBe(ok);
    await cv.log.until(() => cv.log.of("message:new").length === ok, "the accepted burst messages");

    await sleep(WINDOW_MS + 200); // the window that refused them has ended
    const after = await send(cu, id, "after the window");
    await cv.log.waitFor("message:new", (m) => m.id === after.id);
    expect(after.seq).toBe(ok + 1);
  });

  it("normal use never hits the limit: 2 messages/s for 6 s, a fast typist's bursts, and catching up", { timeout: 60_000 }, async () => {
    const { cu, cv, id } = await pair();
    const replies: SendReply[] = [];
    const steady = async () => {
      for (const i of range(12)) {
        replies.push(await sendTo(cu, id, `steady ${i}`));
        await sleep(500);
      }
    };
    const typist = async () => {
      for (const burst of range(5)) {
        for (const i of range(3)) {
          replies.push(await sendTo(cv, id, `typed ${burst}.${i}`));
          await sleep(150);
        }
        await sleep(800);
      }
    };
    await Promise.all([steady(), typist()]);
    const catchUp = [await ask(cv, "dialog:sync", { dialogs: [{ dialogId: id, afterSeq: 0 }] }), await ask(cv, "dialog:history", { dialogId: id })];
    expect(replies.filter((r) => !r.ok)).toEqual([]);
    expect(replies).toHaveLength(27);
    expect(catchUp.map((r) => r.ok)).toEqual([true, true]);
  });

  it("one user's flood does not rate-limit another user, even in the same dialog", async () => {
    const { cu: flooder, cv: peer, id } = await pair();
    const bystander = await pair();
    const flood = Promise.all(range(300).map((i) => sendTo(flooder, id, `flood ${i}`)));
    const calm: SendReply[] = [];
    for (const i of range(15)) {
      calm.push(await sendTo(peer, id, `calm ${i}`));
      calm.push(await sendTo(bystander.cu, bystander.id, `elsewhere ${i}`));
      await sleep(30);
    }
    expect(tallyOf(await flood).limited).toBeGreaterThan(0);
    expect(calm.filter((r) => !r.ok)).toEqual([]);
  });
});

describe("caps: MAX_DIALOGS_PER_USER=2, MAX_CONNECTIONS_PER_USER=2", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ ...STEADY_HEARTBEAT, MAX_DIALOGS_PER_USER: "2", MAX_CONNECTIONS_PER_USER: "2" });
  });
  afterAll(() => t.close());

  it("refuses a third dialog with too_many_dialogs, for either member, but reopening an existing one works", async () => {
    const [m, n1, n2, n3] = [await t.createUser(), await t.createUser(), await t.createUser(), await t.createUser()];
    const [cm, c1, c2, c3] = [await t.connect(m), await t.connect(n1), await t.connect(n2), await t.connect(n3)];
    await open(cm, n1.id);
    await open(cm, n2.id);
    expect(await ask(cm, "dialog:open", { peerId: n3.id })).toEqual({ ok: false, error: "too_many_dialogs" });
    expect(await ask(c3, "dialog:open", { peerId: m.id })).toEqual({ ok: false, error: "too_many_dialogs" });
    expect(await ask(c1, "dialog:open", { peerId: m.id })).toMatchObject({ ok: true, created: false });
    expect(await ask(c2, "dialog:open", { peerId: n3.id })).toMatchObject({ ok: true, created: true }); // n2's second
    const ofM = await t.server.database.db.conversation.count({ where: { OR: [{ userAId: m.id }, { userBId: m.id }] } });
    expect(ofM).toBe(2);
  });

  it("refuses a third connection of a user (any session) with too_many_connections, and admits one again after a close", async () => {
    const [k, other] = [await t.createUser(), await t.createUser()];
    const k1 = await t.connect(k);
    await t.connect(await t.session(k));
    expect(await t.refused(k)).toBe("too_many_connections");
    expect(await t.refused(await t.session(k))).toBe("too_many_connections");
    const o = await t.connect(other); // another user is not affected
    expect(o.welcome.self.id).toBe(other.id);
    k1.socket.disconnect();
    await waitFor(() => t.server.messenger.connectionCount(k.id) === 1, 10_000, "the closed connection to be released");
    expect((await t.connect(k)).welcome.self.id).toBe(k.id);
  });
});

describe("sign-in attempts: SIGNIN_ATTEMPTS_PER_MINUTE=3 per username, 15 per client IP", () => {
  let t: TestServer;
  type Authorize = (credentials: Record<string, string>, req: { headers: Record<string, string> }) => Promise<{ id: string } | null>;
  let authorize: Authorize;
  beforeAll(async () => {
    t = await startTestServer({ ...STEADY_HEARTBEAT, SIGNIN_ATTEMPTS_PER_MINUTE: "3" });
    // next-auth v4 keeps the configured authorize in `options`; the top-level one is a stub until merged.
    const provider = t.server.services.authOptions.providers.find((p) => p.id === "credentials") as unknown as { options?: { authorize?: Authorize } };
    authorize = provider.options!.authorize!;
  });
  afterAll(() => t.close());

  let ipCounter = 0;
  const freshIp = () => `10.0.${Math.floor(++ipCounter / 250)}.${ipCounter % 250}`;
  /** One sign-in attempt: the user's id, null for wrong credentials, "rate_limited" when refused. */
  const attempt = (username: string, password: string, ip = freshIp()) =>
    authorize({ username, password }, { headers: { "x-client-ip": ip } }).then(
      (user) => user?.id ?? null,
      (err: unknown) => (err as Error).message,
    );

  it("refuses a username after 3 failures, whatever the IP, the password or the letter case", async () => {
    const [victim, other] = [await t.createUser(), await t.createUser()];
    expect(await Promise.all(range(3).map(() => attempt(victim.name, "wrong password")))).toEqual([null, null, null]);
    expect(await attempt(victim.name, PASSWORD)).toBe("rate_limited");
    expect(await attempt(victim.name.toUpperCase(), PASSWORD)).toBe("rate_limited");
    expect(await attempt(other.name, PASSWORD)).toBe(other.id);
  });

  it("refuses an IP after 15 attempts, whatever the usernames; other IPs are not affected", async () => {
    const ip = freshIp();
    const names = range(16).map((i) => `nobody${i}x${ip.replace(/\./g, "")}`);
    for (const name of names.slice(0, 15)) expect(await attempt(name, "wrong password", ip)).toBeNull();
    const u = await t.createUser();
    expect(await attempt(u.name, PASSWORD, ip)).toBe("rate_limited");
    expect(await attempt(names[15]!, "wrong password", ip)).toBe("rate_limited");
    expect(await attempt(u.name, PASSWORD)).toBe(u.id);
  });

  it("a successful sign-in resets the username's count", async () => {
    const u = await t.createUser();
    expect([await attempt(u.name, "wrong password"), await attempt(u.name, "wrong password")]).toEqual([null, null]);
    expect(await attempt(u.name, PASSWORD)).toBe(u.id); // the 3rd attempt: allowed, and it clears the count
    expect(await Promise.all(range(3).map(() => attempt(u.name, "wrong password")))).toEqual([null, null, null]);
    expect(await attempt(u.name, PASSWORD)).toBe("rate_limited");
  });

  it("sign-up (POST /api/register answers 429) is limited the same way", async () => {
    const { signUpLimiter } = t.server.services;
    const ip = freshIp();
    expect(await Promise.all(range(3).map(() => signUpLimiter.allow(freshIp(), "wanted_name")))).toEqual([true, true, true]);
    expect(await signUpLimiter.allow(freshIp(), "WANTED_NAME")).toBe(false);
    expect(await Promise.all(range(15).map((i) => signUpLimiter.allow(ip, `name${i}`)))).toEqual(range(15).map(() => true));
    expect(await signUpLimiter.allow(ip, "name_16")).toBe(false);
  });

  it("counts a username the way sign-in matches it: padding with spaces does not buy new attempts", async () => {
    // BUG (found by this suite): the limiter keys on username.toLowerCase(), but sign-in trims the name
    // (usernameSchema .trim()) before looking the user up, so " victim", "victim\t", ... are the same
    // account with a fresh budget each: the per-username limit can be bypassed from many IPs.
    const victim = await t.createUser();
    expect(await Promise.all(range(3).map(() => attempt(victim.name, "wrong password")))).toEqual([null, null, null]);
    expect(await attempt(victim.name, "wrong password")).toBe("rate_limited");
    for (const padded of [` ${victim.name}`, `${victim.name} `, `\t${victim.name}\n`]) {
      expect([padded, await attempt(padded, "wrong password")]).toEqual([padded, "rate_limited"]);
    }
    expect(await attempt(`  ${victim.name}  `, PASSWORD)).toBe("rate_limited");
  });
});
