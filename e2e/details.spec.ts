/**
 * The small things: message times (today, Yesterday, a date; in full on hover and for screen
 * readers), your name on pending messages, and browser notifications that are asked for on a click
 * and lead to the conversation.
 */
import { expect, lookAway, lookBack, pane, promptOf, say, shot, test, userButton } from "./fixtures";

const DAY = 24 * 60 * 60 * 1000;

test("times read as today, Yesterday or a date, in full on hover and for screen readers; pending messages carry your name", async ({
  people,
}) => {
  const alice = await people("alice");
  const bob = await people("bob");
  await userButton(alice.page, bob.name).click();
  await say(alice.page, bob.name, "hello from today");
  const message = pane(alice.page, bob.name).getByRole("listitem").filter({ hasText: "hello from today" });
  const year = String(new Date().getFullYear());
  const time = message.locator("time");
  await expect(time.locator("[aria-hidden]")).toHaveText(/^\d{1,2}:\d{2}( [AP]M)?$/);
  await expect(time).toHaveAttribute("title", new RegExp(`${year} at \\d{1,2}:\\d{2}`));
  // Screen readers get the full date and time in place of the short one.
  const full = await time.getAttribute("title");
  await expect(message.locator(".sr-only")).toHaveText(full!);

  // Your pending message shows your name, like the sent ones.
  await alice.context.setOffline(true);
  await say(alice.page, bob.name, "on its way");
  const pending = pane(alice.page, bob.name).getByRole("listitem").filter({ hasText: "Sending…" });
  await expect(pending).toContainText(alice.name);
  await expect(pending).not.toContainText("You");
  await shot(alice.page, "pending-name");
  await alice.context.setOffline(false);
  await expect(pane(alice.page, bob.name).getByRole("listitem").filter({ hasText: "Sending…" })).toHaveCount(0, { timeout: 15_000 });

  // A day later the same message says "Yesterday"; days later, its date.
  const sentAt = Date.now();
  await alice.page.clock.setFixedTime(sentAt + DAY);
  await alice.page.reload();
  await expect(time.locator("[aria-hidden]")).toHaveText(/^Yesterday \d{1,2}:\d{2}/);
  await alice.page.clock.setFixedTime(sentAt + 3 * DAY);
  await alice.page.reload();
  await expect(time.locator("[aria-hidden]")).toHaveText(/^[A-Z][a-z]{2} \d{1,2}, \d{1,2}:\d{2}|^\d{1,2} [A-Z][a-z]{2}, \d{1,2}:\d{2}/);
  await shot(alice.page, "times-older");
});

test("notifications are asked for on a click, never on load; a message while you look elsewhere notifies, and the notification opens that conversation", async ({
  people,
}) => {
  const alice = await people("alice");
  // Watch what the page does with notifications (the browser's own objects, recorded as they are used).
  await alice.context.addInitScript(() => {
    const Real = window.Notification;
    const w = window as unknown as { shownNotes: Notification[]; permissionAsks: number };
    w.shownNotes = [];
    w.permissionAsks = 0;
    class Recorded extends Real {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        w.shownNotes.push(this);
      }
      static override get permission() {
        return Real.permission;
      }
      static override requestPermission(): Promise<NotificationPermission> {
        w.permissionAsks++;
        return Real.requestPermission();
      }
    }
    window.Notification = Recorded;
  });
  await alice.page.reload();
  const asks = () => alice.page.evaluate(() => (window as unknown as { permissionAsks: number }).permissionAsks);
  const notes = () =>
    alice.page.evaluate(() =>
      (window as unknown as { shownNotes: Notification[] }).shownNotes.map((n) => ({ title: n.title, body: n.body })),
    );

  const bob = await people("bob");
  const carol = await people("carol");
  await userButton(alice.page, bob.name).click();
  await userButton(alice.page, carol.name).click();
  expect(await asks()).toBe(0); // nothing asked on load

  // Alice clicks to turn them on (and allows them in the browser's prompt).
  await alice.context.grantPermissions(["notifications"]);
  await alice.page.getByRole("button", { name: "Turn on notifications" }).click();
  await expect(alice.page.getByText("Notifications on")).toBeFocused();
  expect(await asks()).toBe(1);
  await promptOf(alice.page, carol.name).click();

  // While Alice looks at her prompt to Carol, Bob's message does not notify: she is here.
  await say(bob.page, alice.name, "first, while you look");
  await expect(pane(alice.page, bob.name).getByText("first, while you look")).toBeVisible();
  expect(await notes()).toEqual([]);

  // She looks elsewhere: Bob's next message notifies; clicking it takes her to Bob's conversation.
  await lookAway(alice.page);
  await say(bob.page, alice.name, "ping");
  await expect.poll(notes).toEqual([{ title: bob.name, body: "ping" }]);
  const activePrompt = () => alice.page.evaluate(() => document.activeElement?.getAttribute("aria-label"));
  expect(await activePrompt()).toBe(`Message ${carol.name}`);
  await alice.page.evaluate(() => (window as unknown as { shownNotes: Notification[] }).shownNotes[0]!.dispatchEvent(new Event("click")));
  await expect.poll(activePrompt).toBe(`Message ${bob.name}`);
  // The browser brings her window forward with the click: she is in Bob's conversation, and it is read.
  await lookBack(alice.page);
  await expect(promptOf(alice.page, bob.name)).toBeFocused();
  await expect(alice.page).toHaveTitle("Duo");
});
