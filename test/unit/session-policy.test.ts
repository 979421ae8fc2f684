import { describe, expect, it } from "vitest";
import { firstExpiry, isLive, slide, type SessionLifetime } from "@/server/core/session-policy";

const H = 3600_000;
const life: SessionLifetime = { idleMs: 24 * H, maxAgeMs: 7 * 24 * H, refreshMs: H };

describe("session lifetime", () => {
  it("a new session lasts the idle time", () => {
    expect(firstExpiry(0, life)).toBe(24 * H);
    expect(firstExpiry(0, { ...life, maxAgeMs: 2 * H })).toBe(2 * H);
  });

  it("using it slides the end forward, written at most once per refresh period", () => {
    const s = { createdAt: 0, expiresAt: 24 * H };
    expect(slide(s, 30 * 60_000, life)).toBeNull(); // half an hour in: nothing to write
    expect(slide(s, H, life)).toBe(25 * H);
    expect(slide({ createdAt: 0, expiresAt: 25 * H }, 20 * H, life)).toBe(44 * H);
  });

  it("never past the absolute maximum, however much it is used", () => {
    let s = { createdAt: 0, expiresAt: firstExpiry(0, life) };
    for (let now = 0; now < 10 * 24 * H; now += H) {
      const next = slide(s, now, life);
      if (next !== null) s = { ...s, expiresAt: next };
    }
    expect(s.expiresAt).toBe(7 * 24 * H);
    expect(isLive(s, 7 * 24 * H)).toBe(false);
  });

  it("an ended session is not revived by a late use", () => {
    expect(isLive({ createdAt: 0, expiresAt: 24 * H }, 24 * H + 1)).toBe(false);
    expect(slide({ createdAt: 0, expiresAt: 24 * H }, 25 * H, life)).toBeNull();
  });
});
