import { describe, expect, it } from "vitest";
import { timeOrderedId } from "@/server/persistence/time-ordered-id";

describe("timeOrderedId (UUIDv7)", () => {
  it("is a version 7, RFC 9562 variant UUID whose first 48 bits are the time in milliseconds", () => {
    const at = Date.UTC(2026, 10, 24, 12, 0, 0, 123);
    const id = timeOrderedId(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, "").slice(0, 12), 16)).toBe(at);
  });

  it("sorts by creation time (as text, the way an index orders it) and does not repeat", () => {
    const ids: string[] = [];
    for (let ms = 1_700_000_000_000; ms < 1_700_000_000_000 + 2000; ms += 1) for (let k = 0; k < 50; k++) ids.push(timeOrderedId(ms));
    const byMs = ids.map((id) => id.slice(0, 13));
    expect([...byMs].sort()).toEqual(byMs);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
