/**
 * The welcome's list of who else is available, as JSON text: serialized once per presence snapshot
 * (the same array for every welcome until the next batch), then cut per viewer by leaving out their
 * own entry, which is a slice of the text, not a new serialization.
 */
import type { OthersAvailable } from "../core/node-service";
import type { UserView } from "../../lib/contract/events";
import type { UserProfile } from "../core/types";
import { RawJson } from "./raw-json-parser";
import { userView } from "./views";

interface Encoded {
  json: string;
  /** Where each user's entry starts and ends in `json`, by user id. */
  spans: Map<string, readonly [number, number]>;
}

const cache = new WeakMap<readonly UserProfile[], Encoded>();

function encode(snapshot: readonly UserProfile[]): Encoded {
  const spans = new Map<string, readonly [number, number]>();
  let json = "[";
  for (const [i, u] of snapshot.entries()) {
    if (i > 0) json += ",";
    const entry = JSON.stringify(userView(u));
    spans.set(u.id, [json.length, json.length + entry.length]);
    json += entry;
  }
  return { json: `${json}]`, spans };
}

export function othersJson(others: OthersAvailable): RawJson<UserView[]> {
  let encoded = cache.get(others.snapshot);
  if (!encoded) {
    encoded = encode(others.snapshot);
    cache.set(others.snapshot, encoded);
  }
  const { json, spans } = encoded;
  const span = spans.get(others.viewer);
  if (!span) return new RawJson(json);
  const [start, end] = span;
  // Take the entry out with one of the commas around it (the one after it, or before it if it is last).
  if (json[end] === ",") return new RawJson(json.slice(0, start) + json.slice(end + 1));
  return new RawJson(json.slice(0, json[start - 1] === "," ? start - 1 : start) + json.slice(end));
}
