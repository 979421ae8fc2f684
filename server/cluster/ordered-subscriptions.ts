/**
 * node-redis 5 loses a sharded subscription that is made again before the reply to its removal
 * arrives: SUBSCRIBE is not sent (the channel still has listeners), then SUNSUBSCRIBE's reply deletes
 * every listener of the channel, the new one included. Socket.IO's sharded adapter does exactly that
 * when a room empties and fills again at once (the last tab of a room reloads), and that node would
 * never again receive the room's broadcasts. This wrapper makes each channel's subscribe and
 * unsubscribe calls wait for the previous one's reply; everything else goes straight to the client.
 * (Reproduced against a real Redis by test/integration/ordered-subscriptions.test.ts.)
 */
import type { createClient } from "redis";

type Redis = ReturnType<typeof createClient>;

export function orderedShardedSubscriptions(client: Redis): Redis {
  const chains = new Map<string, Promise<unknown>>();
  const inTurn = (channels: unknown, op: () => Promise<unknown>): Promise<unknown> => {
    const key = String(channels);
    const next = (chains.get(key) ?? Promise.resolve()).then(op, op);
    chains.set(key, next);
    const forget = () => {
      if (chains.get(key) === next) chains.delete(key);
    };
    next.then(forget, forget);
    return next;
  };
  return new Proxy(client, {
    get(target, prop) {
      if (prop === "sSubscribe" || prop === "sUnsubscribe") {
        const method = target[prop].bind(target) as (...args: unknown[]) => Promise<unknown>;
        return (channels: unknown, ...rest: unknown[]) => inTurn(channels, () => method(channels, ...rest));
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
