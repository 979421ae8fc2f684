import { describe, expect, it } from "vitest";
import { PresenceFeed } from "@/server/core/presence-feed";

const alice = { id: "alice", name: "Alice" };
const bob = { id: "bob", name: "Bob" };

describe("PresenceFeed", () => {
  it("starts empty and drains to null", () => {
    const feed = new PresenceFeed();
    expect(feed.isEmpty).toBe(true);
    expect(feed.drain()).toBeNull();
  });

  it("a batch carries every touched user in their state, then drain empties", () => {
    const feed = new PresenceFeed();
    feed.online(alice);
    feed.offline("bob");
    expect(feed.isEmpty).toBe(false);
    expect(feed.drain()).toEqual({ online: [alice], offline: ["bob"] });
    expect(feed.isEmpty).toBe(true);
    expect(feed.drain()).toBeNull();
  });

  it("online then offline in one batch => offline only", () => {
    const feed = new PresenceFeed();
    feed.online(alice);
    feed.offline("alice");
    expect(feed.drain()).toEqual({ online: [], offline: ["alice"] });
  });

  it("offline then online in one batch => online with the latest profile", () => {
    const feed = new PresenceFeed();
    feed.offline("alice");
    feed.online({ id: "alice", name: "Old" });
    feed.online(alice);
    expect(feed.drain()).toEqual({ online: [alice], offline: [] });
  });

  it("repeated changes of one user yield one entry", () => {
    const feed = new PresenceFeed();
    for (let i = 0; i < 5; i++) {
      feed.online(bob);
      feed.offline("bob");
    }
    feed.online(bob);
    feed.offline("alice");
    feed.offline("alice");
    expect(feed.drain()).toEqual({ online: [bob], offline: ["alice"] });
  });

  it("batches are independent: a drained change does not reappear", () => {
    const feed = new PresenceFeed();
    feed.online(alice);
    feed.drain();
    feed.online(bob);
    expect(feed.drain()).toEqual({ online: [bob], offline: [] });
  });
});
