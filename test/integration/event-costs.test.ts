/**
 * The cost model on real sockets (server/core/event-costs.ts, EVENT-COSTS.md): answers carrying
 * messages are bounded by size and continue with `more`; a sync's repeated ids cost one query; a
 * sync naming more dialogs than one answer holds answers the rest with empty pages to ask again;
 * a client flooding frames that no limiter would let through has its connection closed, and nobody
 * else notices.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MessagePage, MessageView } from "../../lib/contract/events";
import { LIMITS } from "../../lib/contract/limits";
import { ANSWER_BUDGET, answerChars } from "../../server/core/event-costs";
import { ask, open, raw, send } from "../support/client";
import { STEADY_HEARTBEAT, startTestServer, type TestServer } from "../support/test-server";

/** Asks again, a moment later, for as long as the answer is rate_limited (setting up costs tokens too). */
async function patiently<R extends { ok: boolean; error?: string }>(request: () => Promise<R>): Promise<R> {
  for (;;) {
    const res = await request();
    if (res.ok || res.error !== "rate_limited") return res;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const charsOf = (messages: MessageView[]) => messages.reduce((n, m) => n + answerChars(m), 0);

describe("event costs on real sockets", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ ...STEADY_HEARTBEAT, MAX_DIALOGS_PER_USER: "30" });
  });
  afterAll(() => t.close());

  /** A dialog between two new users holding `count` messages of `length` characters. */
  async function dialogWith(count: number, length: number) {
    const [u, v] = [await t.createUser(), await t.createUser()];
    const [cu, cv] = [await t.connect(u), await t.connect(v)];
    const dialogId = await open(cu, v.id);
    const db = t.server.database.db;
    await db.message.createMany({
      data: Array.from({ length: count }, (_, i) => ({
        conversationId: dialogId,
        seq: i + 1,
        senderId: u.id,
        clientKey: `seeded-${i}-key`,
        body: `${i}:`.padEnd(length, "x"),
      })),
    });
    await db.conversation.update({ where: { id: dialogId }, data: { lastSeq: count } });
    return { cu, cv, dialogId };
  }

  it("a sync of 300 full-length messages comes in answers of at most 128 Ki characters, `more` until the last one", async () => {
    const { cu, dialogId } = await dialogWith(300, LIMITS.messageMaxChars);
    const got: MessageView[] = [];
    let afterSeq = 0;
    const sizes: number[] = [];
    for (let answers = 0; answers < 50; answers++) {
      // A big catch-up may have to wait for tokens, as the client does.
      const res = await patiently(() => ask(cu, "dialog:sync", { dialogs: [{ dialogId, afterSeq }] }));
      if (!res.ok) throw new Error(res.error);
      const page = res.pages[dialogId]!;
      sizes.push(charsOf(page.messages));
      got.push(...page.messages);
      if (!page.more) break;
      afterSeq = page.messages.at(-1)!.seq;
    }
    expect(got.map((m) => m.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(ANSWER_BUDGET.chars);
    console.log(`300 messages of 2,000 characters synced in ${sizes.length} answers of ${Math.max(...sizes)} characters at most`);
  });

  it("history pages are bounded the same way and continue from their first message", async () => {
    const { cu, dialogId } = await dialogWith(120, LIMITS.messageMaxChars);
    const first = await ask(cu, "dialog:history", { dialogId, limit: 200 });
    if (!first.ok) throw new Error(first.error);
    expect(first.more).toBe(true);
    expect(charsOf(first.messages)).toBeLessThanOrEqual(ANSWER_BUDGET.chars);
    expect(first.messages.at(-1)!.seq).toBe(120); // the newest page, oldest first within it
    const older = await ask(cu, "dialog:history", { dialogId, beforeSeq: first.messages[0]!.seq, limit: 200 });
    if (!older.ok) throw new Error(older.error);
    expect(older.messages.at(-1)!.seq).toBe(first.messages[0]!.seq - 1);
    // Small messages: the whole page the client asked for, in one answer.
    const small = await dialogWith(150, 20);
    const page = await ask(small.cu, "dialog:history", { dialogId: small.dialogId, limit: 150 });
    expect(page).toMatchObject({ ok: true, more: false });
    expect(page.ok && page.messages.length).toBe(150);
  });

  it("a sync naming one dialog 100 times answers it once; foreign and closed ids are left out", async () => {
    const { cu, dialogId } = await dialogWith(5, 10);
    const other = await dialogWith(3, 10);
    const res = await ask(cu, "dialog:sync", {
      dialogs: [...Array.from({ length: 99 }, (_, i) => ({ dialogId, afterSeq: 98 - i })), { dialogId: other.dialogId, afterSeq: 0 }],
    });
    expect(res.ok && Object.keys(res.pages)).toEqual([dialogId]);
    expect(res.ok && res.pages[dialogId]!.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]); // from the earliest asked
  });

  it("a sync naming more dialogs than an answer holds answers the rest with empty pages that ask again", async () => {
    const me = await t.createUser();
    const c = await t.connect(me);
    const dialogIds: string[] = [];
    for (let i = 0; i < ANSWER_BUDGET.dialogs + 5; i++) {
      const peer = await t.createUser();
      await t.connect(peer);
      const opened = await patiently(() => ask(c, "dialog:open", { peerId: peer.id }));
      if (!opened.ok) throw new Error(opened.error);
      dialogIds.push(opened.dialog.id);
      await patiently(() => ask(c, "message:send", { dialogId: opened.dialog.id, clientKey: `hello-${i}-key`, body: `hello ${i}` }));
    }
    const res = await patiently(() => ask(c, "dialog:sync", { dialogs: dialogIds.map((dialogId) => ({ dialogId, afterSeq: 0 })) }));
    if (!res.ok) throw new Error(res.error);
    const pages: [string, MessagePage][] = dialogIds.map((id) => [id, res.pages[id]!]);
    expect(pages.slice(0, ANSWER_BUDGET.dialogs).every(([, p]) => p.messages.length === 1 && !p.more)).toBe(true);
    expect(pages.slice(ANSWER_BUDGET.dialogs).map(([, p]) => p)).toEqual(Array.from({ length: 5 }, () => ({ messages: [], more: true })));
  });

  it("a flood of 60 KiB frames of an unknown event closes that connection (a transport close, not a sign-out); others carry on", async () => {
    const [flooder, calm] = [await t.createUser(), await t.createUser()];
    const [f, c1, c2] = [await t.connect(flooder), await t.connect(calm), await t.connect(await t.session(calm))];
    const dialogId = await open(c1, (await t.createUser().then(async (u) => (await t.connect(u), u))).id);
    const closed = new Promise<string>((resolve) => f.socket.once("disconnect", (reason) => resolve(reason)));
    const junk = "j".repeat(60 * 1024);
    for (let i = 0; i < 120; i++) raw(f).emit("no:such:event", junk);
    expect(await closed).toBe("transport close");
    expect([c1.socket.connected, c2.socket.connected]).toEqual([true, true]);
    await send(c1, dialogId, "still here");
    // The flooder may come back once its frame allowance refills.
    await new Promise((r) => setTimeout(r, 500));
    expect((await t.connect(flooder)).welcome.self.id).toBe(flooder.id);
  });
});
