/**
 * The chat uses the screen: open conversations share the width (one per screen on a phone), the
 * newest message stays in view, a button brings you down to new messages, a pane can be closed (by
 * button or Escape) without the peer noticing, and notices behave: one per event, dismissible,
 * expiring, gone when a conversation with that person opens again, never pushing a pane off screen.
 */
import type { Page } from "@playwright/test";
import { aliceWithTwo, expect, lookAway, lookBack, pane, personEntry, promptOf, say, shot, signIn, test, userButton } from "./fixtures";

const box = async (page: Page, name: string) => {
  const b = await pane(page, name).boundingBox();
  if (!b) throw new Error(`no pane for ${name}`);
  return b;
};

test.describe("at 1440 × 900", () => {
  test.use({ viewport: { width: 1440, height: 900 } });

  test("conversations share the width and keep the newest message in view; new messages below get a button; closing a pane is yours alone", async ({
    people,
  }) => {
    const { alice, bob, carol } = await aliceWithTwo(people);
    const [b, c] = [await box(alice.page, bob.name), await box(alice.page, carol.name)];
    // Side by side, equal, each about half of what is right of the list, and nearly the full height.
    expect(Math.abs(b.y - c.y)).toBeLessThan(2);
    expect(Math.abs(b.width - c.width)).toBeLessThan(2);
    expect(b.width).toBeGreaterThan(540);
    expect(b.height).toBeGreaterThan(780);

    // Bob writes a lot: Alice's pane follows, the newest message in view.
    for (let i = 1; i <= 14; i++) await say(bob.page, alice.name, `line ${i} of a long story\nwith a second line`);
    const newest = pane(alice.page, bob.name).getByText("line 14 of a long story");
    await expect(newest).toBeInViewport();

    // Alice scrolls up to read; what Bob writes next does not move her, and a button says so.
    await pane(alice.page, bob.name)
      .getByRole("list", { name: `Messages with ${bob.name}` })
      .hover();
    await alice.page.mouse.wheel(0, -5000);
    await expect(pane(alice.page, bob.name).getByText("line 1 of a long story")).toBeInViewport();
    await say(bob.page, alice.name, "are you still there?");
    const jump = pane(alice.page, bob.name).getByRole("button", { name: "1 new message" });
    await expect(jump).toBeVisible();
    await expect(pane(alice.page, bob.name).getByText("are you still there?")).not.toBeInViewport();
    await shot(alice.page, "layout-new-messages");
    await jump.click();
    await expect(pane(alice.page, bob.name).getByText("are you still there?")).toBeInViewport();
    await expect(jump).toBeHidden();

    // Alice closes Bob's pane: Carol's takes the whole width, focus goes to Bob in the list.
    await pane(alice.page, bob.name)
      .getByRole("button", { name: `Close conversation with ${bob.name}` })
      .click();
    await expect(pane(alice.page, bob.name)).toBeHidden();
    await expect(personEntry(alice.page, bob.name, "chatting")).toBeFocused();
    expect((await box(alice.page, carol.name)).width).toBeGreaterThan(1100);
    // Bob notices nothing: his conversation is still open and he can write.
    await expect(pane(bob.page, alice.name)).toBeVisible();
    await expect(pane(bob.page, alice.name).getByText("ended")).toHaveCount(0);
    // When he writes while Alice looks elsewhere, her pane comes back with its unread count.
    await lookAway(alice.page);
    await say(bob.page, alice.name, "one more thing");
    await expect(pane(alice.page, bob.name)).toBeVisible();
    await expect(pane(alice.page, bob.name).getByText("1 unread")).toBeVisible();
    await lookBack(alice.page);
    await expect(pane(alice.page, bob.name).getByText("1 unread")).toHaveCount(0);

    // Escape closes the pane you are in.
    await promptOf(alice.page, carol.name).click();
    await alice.page.keyboard.press("Escape");
    await expect(pane(alice.page, carol.name)).toBeHidden();
    await expect(personEntry(alice.page, carol.name, "chatting")).toBeFocused();
    // Picking Carol again brings it back, with what was there.
    await userButton(alice.page, carol.name).click();
    await expect(promptOf(alice.page, carol.name)).toBeFocused();
    await shot(alice.page, "layout-desktop");

    // The picture in the README: two conversations, one with an unread message, one with Carol typing.
    await say(alice.page, carol.name, "Are we still on for Friday?");
    await say(carol.page, alice.name, "Yes! 7 pm at the usual place");
    await lookAway(alice.page);
    await say(bob.page, alice.name, "Lunch tomorrow?");
    await promptOf(carol.page, alice.name).pressSequentially("Shall I book a tab");
    await expect(pane(alice.page, carol.name).getByText(`${carol.name} is typing…`)).toBeVisible();
    await expect(personEntry(alice.page, bob.name, "1 unread")).toBeVisible();
    await shot(alice.page, "readme-chat");
  });

  test("notices: one per event, dismissible, expiring by themselves, gone when that person's conversation opens again, never pushing a pane away", async ({
    people,
  }) => {
    const { alice, bob, carol } = await aliceWithTwo(people);
    const notices = alice.page.getByRole("region", { name: "Notices" });
    const aboutBob = notices.getByRole("listitem").filter({ hasText: bob.name });

    // Bob signs out and back in three times; Alice reopens the conversation in between. One notice
    // at a time about him, never a stack of identical ones.
    for (let i = 0; i < 3; i++) {
      await bob.page.getByRole("button", { name: "Sign out", exact: true }).click();
      await expect(bob.page).toHaveURL(/sign-in/);
      await expect(aboutBob).toHaveCount(1);
      await expect(aboutBob).toContainText(`${bob.name} went offline`);
      await signIn(bob);
      await userButton(alice.page, bob.name).click();
      // The conversation with him is open again: the notice about him has gone.
      await expect(aboutBob).toHaveCount(0);
    }

    // Carol leaves: a notice that can be dismissed.
    await carol.page.getByRole("button", { name: "Sign out", exact: true }).click();
    const aboutCarol = notices.getByRole("listitem").filter({ hasText: carol.name });
    await expect(aboutCarol).toHaveCount(1);
    // The remaining pane is not pushed down or covered: its prompt is on screen.
    await expect(promptOf(alice.page, bob.name)).toBeInViewport();
    await shot(alice.page, "notice-desktop");
    await aboutCarol.getByRole("button", { name: /^Dismiss/ }).click();
    await expect(aboutCarol).toHaveCount(0);

    // Bob leaves again: that notice goes away by itself.
    await bob.page.getByRole("button", { name: "Sign out", exact: true }).click();
    await expect(aboutBob).toHaveCount(1);
    await alice.page.mouse.move(5, 880); // not on the notices: they are not held open
    await expect(aboutBob).toHaveCount(0, { timeout: 15_000 });
  });
});

test.describe("at 390 × 844 (phone)", () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test("one conversation fills the screen; picking a person brings theirs; a notice leaves the prompt on screen", async ({ people }) => {
    const alice = await people("alice");
    const bob = await people("bob");
    const carol = await people("carol");
    await userButton(alice.page, bob.name).click();
    await say(alice.page, bob.name, "hi bob");
    await userButton(alice.page, carol.name).click();
    await expect(promptOf(alice.page, carol.name)).toBeFocused();
    await expect(pane(alice.page, carol.name)).toBeInViewport({ ratio: 0.9 });
    await expect(pane(alice.page, bob.name)).not.toBeInViewport();
    expect((await box(alice.page, carol.name)).width).toBeGreaterThan(350);
    await say(alice.page, carol.name, "hi carol");
    await expect(pane(alice.page, carol.name).getByText("hi carol")).toBeInViewport();

    await userButton(alice.page, bob.name).click();
    await expect(pane(alice.page, bob.name)).toBeInViewport({ ratio: 0.9 });
    await expect(promptOf(alice.page, bob.name)).toBeFocused();
    await expect(pane(alice.page, bob.name).getByText("hi bob")).toBeInViewport();

    await carol.page.close();
    await expect(alice.page.getByRole("region", { name: "Notices" })).toContainText(`${carol.name} went offline`, { timeout: 15_000 });
    await expect(promptOf(alice.page, bob.name)).toBeInViewport();
    await shot(alice.page, "layout-phone");
  });
});
