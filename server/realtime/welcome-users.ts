/**
 * The welcome's list of who is available, encoded once per presence snapshot and shared by every
 * welcome sent until the next batch: the JSON text and its bytes, which go out as the last part of
 * each welcome's WebSocket frame (./shared-tail-frame.ts) without being copied per socket.
 *
 * The list is the whole snapshot, the receiver included (the contract says so; clients leave
 * themselves out): a list without the receiver would be a different text, and different bytes, for
 * every socket. At 10,000 users online a list is ~0.5 MB; one copy per welcome was most of a login
 * ramp's allocations, and memory the allocator kept afterwards (measured: bench/, idle-capacity).
 */
import type { UserView } from "../../lib/contract/events";
import type { UserProfile } from "../core/types";
import { sharedTail, type SharedTail } from "./shared-tail-frame";
import { userView } from "./views";

const cache = new WeakMap<readonly UserProfile[], SharedTail<UserView[]>>();

/** The snapshot as the welcome's `users` field ends it: its JSON array, then the welcome's closing. */
export function welcomeUsers(snapshot: readonly UserProfile[]): SharedTail<UserView[]> {
  let tail = cache.get(snapshot);
  if (!tail) {
    tail = sharedTail<UserView[]>(JSON.stringify(snapshot.map(userView)));
    cache.set(snapshot, tail);
  }
  return tail;
}
