/**
 * Unread counts kept by the server, read receipts and the typing indicator, with two people in two
 * browsers (and a second tab for one of them), found by role, name and visible text.
 */
import { expect, lookAway, lookBack, pane, personEntry, promptOf, say, shot, test, userButton } from "./fixtures";

test("unread counts show on the person, the pane and the tab title, survive a reload, and clear in every tab when read in one; the sender sees Seen", async ({
  people,
}) => {
  const alice = await people("alice");
  const bob = await people("bob");
  const aliceTab2 = await alice.newTab();
  await userButton(bob.page, alice.name).click();
  for (const tab of [alice.page, aliceTab2]) await expect(pane(tab, bob.name)).toBeVisible();

  // Alice is looking at another window: nothing Bob writes is read yet.
  await lookAway(alice.page);
  await lookAway(aliceTab2);
  for (const text of ["one", "two", "three"]) await say(bob.page, alice.name, text);
  for (const tab of [alice.page, aliceTab2]) {
    await expect(personEntry(tab, bob.name, "3 unread")).toBeVisible();
    await expect(pane(tab, bob.name).getByText("3 unread")).toBeVisible();
    await expect(tab).toHaveTitle("(3) Duo");
  }
  await expect(pane(bob.page, alice.name).getByText("Seen", { exact: true })).toHaveCount(0);
  await shot(alice.page, "unread-alice");

  // A reload keeps the counts: they are the server's. (The reloaded tab is still in the background:
  // it is told so before its scripts run.)
  await aliceTab2.reload({ waitUntil: "commit" });
  await lookAway(aliceTab2);
  await expect(personEntry(aliceTab2, bob.name, "3 unread")).toBeVisible();
  await expect(aliceTab2).toHaveTitle("(3) Duo");

  // Alice comes back to her first tab: read there, cleared in both tabs at once; Bob sees "Seen"
  // under his last message.
  await lookBack(alice.page);
  for (const tab of [alice.page, aliceTab2]) {
    await expect(tab).toHaveTitle("Duo");
    await expect(personEntry(tab, bob.name, "chatting")).toBeVisible();
    await expect(pane(tab, bob.name).getByText(/unread/)).toHaveCount(0);
  }
  const seen = pane(bob.page, alice.name).getByText("Seen", { exact: true });
  await expect(seen).toBeVisible();
  // Right under "three", his last message.
  const items = pane(bob.page, alice.name).getByRole("listitem");
  await expect(items.last()).toHaveText("Seen");
  await expect(items.nth(-2)).toContainText("three");
  await shot(bob.page, "seen-bob");

  // Alice answers; Bob has not seen it while he is away; "Seen" stays under Bob's last message.
  await lookAway(bob.page);
  await say(alice.page, bob.name, "got them");
  await expect(personEntry(bob.page, alice.name, "1 unread")).toBeVisible();
  await expect(bob.page).toHaveTitle("(1) Duo");
  await lookBack(bob.page);
  await expect(bob.page).toHaveTitle("Duo");
  await expect(pane(alice.page, bob.name).getByText("Seen", { exact: true })).toBeVisible();
});

test("typing shows in the peer's pane within half a second, and goes 3 s after the last key or when the message arrives", async ({
  people,
}) => {
  const alice = await people("alice");
  const bob = await people("bob");
  await userButton(alice.page, bob.name).click();
  await expect(pane(bob.page, alice.name)).toBeVisible();
  const typingText = `${alice.name} is typing…`;
  const indicator = pane(bob.page, alice.name).getByText(typingText);

  // Bob's page timestamps the indicator's appearance and disappearance itself (no polling delay).
  await bob.page.evaluate((text) => {
    const w = window as unknown as { typingSeen: number[]; typingGone: number[] };
    w.typingSeen = [];
    w.typingGone = [];
    let shown = false;
    new MutationObserver(() => {
      const now = document.body.innerText.includes(text);
      if (now !== shown) (now ? w.typingSeen : w.typingGone).push(Date.now());
      shown = now;
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  }, typingText);
  const times = () =>
    bob.page.evaluate(() => {
      const w = window as unknown as { typingSeen: number[]; typingGone: number[] };
      return { typingSeen: w.typingSeen, typingGone: w.typingGone };
    });

  const firstKey = Date.now();
  await promptOf(alice.page, bob.name).pressSequentially("hello bo", { delay: 60 });
  const lastKey = Date.now();
  await expect(indicator).toBeVisible();
  await shot(bob.page, "typing-bob");
  await expect(indicator).toBeHidden({ timeout: 6000 });
  const first = await times();
  const appearMs = first.typingSeen[0]! - firstKey;
  const goneMs = first.typingGone[0]! - lastKey;
  console.log(`typing: shown ${appearMs} ms after the first key; gone ${goneMs} ms after the last (idle 3000 ms)`);
  expect(appearMs).toBeLessThan(500);
  expect(goneMs).toBeGreaterThan(2500);
  expect(goneMs).toBeLessThan(4500);

  // Typing again, then sending: it goes when the message arrives, well before the 3 s.
  await promptOf(alice.page, bob.name).pressSequentially("b!", { delay: 60 });
  await expect(indicator).toBeVisible();
  const sentAt = Date.now();
  await promptOf(alice.page, bob.name).press("Enter");
  await expect(pane(bob.page, alice.name).getByText("hello bob!")).toBeVisible();
  await expect(indicator).toBeHidden();
  const second = await times();
  const goneAfterSendMs = second.typingGone[1]! - sentAt;
  console.log(`typing: gone ${goneAfterSendMs} ms after the message was sent`);
  expect(goneAfterSendMs).toBeLessThan(1500);
  // Alice never sees her own typing.
  await expect(pane(alice.page, bob.name).getByText(/is typing/)).toHaveCount(0);
});
