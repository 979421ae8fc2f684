import { describe, expect, it } from "vitest";
import { addressKey, delayAfter, judgeSignIn, signInRules } from "@/server/core/sign-in-policy";

const rules = signInRules({ attemptsPerAddressPerMinute: 30, attemptsPerNameAtAddress: 10, attemptsPerNamePerHour: 100 });

describe("sign-in policy", () => {
  it("the first bucket that refuses decides, in order: address, name at address, name ceiling", () => {
    const all = { address: true, nameAtAddress: true, nameCeiling: true, attemptsHere: 1 };
    expect(judgeSignIn(all, rules)).toEqual({ kind: "verify", delayMs: 0 });
    expect(judgeSignIn({ ...all, address: false, nameAtAddress: false }, rules)).toEqual({ kind: "refuse", reason: "address" });
    expect(judgeSignIn({ ...all, nameAtAddress: false, nameCeiling: false }, rules)).toEqual({ kind: "refuse", reason: "name_at_address" });
    expect(judgeSignIn({ ...all, nameCeiling: false }, rules)).toEqual({ kind: "refuse", reason: "name_ceiling" });
  });

  it("answers slow down, doubling, after three failed attempts at one address, up to 8 s", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 9].map((n) => delayAfter(n, rules))).toEqual([0, 0, 0, 500, 1000, 2000, 4000, 8000, 8000]);
    expect(judgeSignIn({ address: true, nameAtAddress: true, nameCeiling: true, attemptsHere: 5 }, rules)).toEqual({
      kind: "verify",
      delayMs: 1000,
    });
  });

  it("allowances come back over 15 minutes (name at address) and an hour (name)", () => {
    expect(rules.perNameAtAddress).toEqual({ perSecond: 10 / 900, burst: 10 });
    expect(rules.perName).toEqual({ perSecond: 100 / 3600, burst: 100 });
    expect(rules.perAddress).toEqual({ perSecond: 0.5, burst: 30 });
  });

  it("limits IPv4 by address and IPv6 by /64, however the address is written", () => {
    expect(addressKey("203.0.113.7")).toBe("203.0.113.7");
    expect(addressKey("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(addressKey("2001:db8:1:2:3:4:5:6")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:0DB8:0001:0002::1")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
    expect(addressKey("unknown")).toBe("unknown");
    expect(addressKey("x".repeat(1000))).toHaveLength(64);
  });
});
