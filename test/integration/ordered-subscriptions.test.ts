/**
 * The node-redis race behind server/cluster/ordered-subscriptions.ts, against a real Redis: a sharded
 * subscription removed and made again at once (as Socket.IO's sharded adapter does when a room empties
 * and fills again) is lost by the bare client, and kept by the wrapped one.
 */
import { randomUUID } from "node:crypto";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orderedShardedSubscriptions } from "../../server/cluster/ordered-subscriptions";

const url = process.env.REDIS_URL ?? "";
if (!/^redis:\/\//.test(url)) console.warn("\n*** SKIPPING the sharded-subscription race test: REDIS_URL is not set ***\n");

describe.skipIf(!/^redis:\/\//.test(url))("sharded subscriptions removed and made again at once", () => {
  const sub = createClient({ url });
  const pub = createClient({ url });
  beforeAll(async () => {
    await sub.connect();
    await pub.connect();
  });
  afterAll(async () => {
    await sub.quit();
    await pub.quit();
  });

  async function resubscribeAtOnce(client: ReturnType<typeof createClient>): Promise<{ received: number; subscribers: unknown }> {
    const channel = `ordered-subscriptions-test-${randomUUID()}`;
    let received = 0;
    await client.sSubscribe(channel, () => received++);
    void client.sUnsubscribe(channel); // neither awaited: as the adapter calls them
    void client.sSubscribe(channel, () => received++);
    await new Promise((r) => setTimeout(r, 200));
    await pub.sPublish(channel, "hello");
    await new Promise((r) => setTimeout(r, 200));
    const subscribers = await pub.sendCommand(["PUBSUB", "SHARDNUMSUB", channel]);
    await client.sUnsubscribe(channel);
    return { received, subscribers };
  }

  it("the bare node-redis client loses the subscription (the race exists; if this fails, node-redis fixed it)", async () => {
    expect((await resubscribeAtOnce(sub)).received).toBe(0);
  });

  it("through orderedShardedSubscriptions the subscription is kept and the message arrives once", async () => {
    const r = await resubscribeAtOnce(orderedShardedSubscriptions(sub));
    expect(r.received).toBe(1);
    expect((r.subscribers as unknown[])[1]).toBe(1);
  });
});
