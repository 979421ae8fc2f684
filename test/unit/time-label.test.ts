import { describe, expect, it } from "vitest";
import { timeLabel } from "@/lib/client/time-label";
import { readTarget } from "@/server/core/read-positions";
import fc from "fast-check";

const at = (y: number, m: number, d: number, h = 0, min = 0) => new Date(y, m - 1, d, h, min).getTime();
const now = at(2026, 3, 12, 9, 30);

describe("message times", () => {
  it("shows the time alone today, from midnight on", () => {
    expect(timeLabel(at(2026, 3, 12, 0, 0), now, "en-GB").short).toBe("00:00");
    expect(timeLabel(at(2026, 3, 12, 9, 5), now, "en-GB").short).toBe("09:05");
  });

  it("says Yesterday for the day before, up to its last minute", () => {
    expect(timeLabel(at(2026, 3, 11, 23, 59), now, "en-GB").short).toBe("Yesterday 23:59");
    expect(timeLabel(at(2026, 3, 11, 0, 0), now, "en-GB").short).toBe("Yesterday 00:00");
  });

  it("shows the date before that, with the year only when it is not this year", () => {
    expect(timeLabel(at(2026, 3, 10, 23, 59), now, "en-GB").short).toBe("10 Mar, 23:59");
    expect(timeLabel(at(2025, 12, 31, 8, 0), now, "en-GB").short).toBe("31 Dec 2025, 08:00");
  });

  it("gives the full date and time for hover and screen readers", () => {
    // ICU versions differ on the comma after the weekday.
    expect(timeLabel(at(2026, 3, 12, 9, 5), now, "en-GB").full).toMatch(/^Thursday,? 12 March 2026 at 09:05$/);
  });
});

describe("read positions (server core)", () => {
  it("a read target is never below 0 nor past the conversation's last message", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.nat(1_000_000), (requested, lastSeq) => {
        const t = readTarget(requested, lastSeq);
        expect(t).toBeGreaterThanOrEqual(0);
        expect(t).toBeLessThanOrEqual(lastSeq);
        expect(t).toBe(Math.min(requested, lastSeq));
      }),
    );
  });
});
