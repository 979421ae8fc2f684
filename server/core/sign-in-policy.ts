/**
 * Who may try a password, and how fast (OWASP Authentication Cheat Sheet: throttle by address and by
 * account, and do not let an attacker turn the account's own protection against its owner).
 *
 * - Per address, every attempt counts: the argon2id work one address can demand is bounded.
 * - Per (name, address), attempts count until one succeeds: a guesser is slowed after a few, then
 *   stopped. The owner, at another address, is not affected.
 * - Per name, attempts from all addresses count up to a high ceiling; past it, only addresses that
 *   signed in as that name before are let through. A guesser spread over many addresses gets at
 *   most the ceiling's guesses per hour, and the owner at home still gets in.
 *
 * Pure: the adapter (server/auth/sign-in-limiter.ts) reads the buckets, asks, and carries it out.
 */
import type { BucketRule } from "./token-bucket";

export interface SignInRules {
  /** Attempts per address, whatever the name. */
  perAddress: BucketRule;
  /** Attempts per (name, address); a success clears them. */
  perNameAtAddress: BucketRule;
  /** Attempts per name from addresses it never signed in from, all together. */
  perName: BucketRule;
  /** Failed attempts at one (name, address) answered at full speed; later ones wait, doubling. */
  freeFailures: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

export interface SignInRulesConfig {
  attemptsPerAddressPerMinute: number;
  attemptsPerNameAtAddress: number;
  attemptsPerNamePerHour: number;
}

export function signInRules(c: SignInRulesConfig): SignInRules {
  return {
    perAddress: { perSecond: c.attemptsPerAddressPerMinute / 60, burst: c.attemptsPerAddressPerMinute },
    // The allowance comes back over 15 minutes.
    perNameAtAddress: { perSecond: c.attemptsPerNameAtAddress / 900, burst: c.attemptsPerNameAtAddress },
    perName: { perSecond: c.attemptsPerNamePerHour / 3600, burst: c.attemptsPerNamePerHour },
    freeFailures: 3,
    firstDelayMs: 500,
    maxDelayMs: 8000,
  };
}

export type RefusalReason = "address" | "name_at_address" | "name_ceiling";

export type SignInVerdict = { kind: "verify"; delayMs: number } | { kind: "refuse"; reason: RefusalReason };

/**
 * The verdict once the buckets have been charged in order (address, then name at address, then the
 * name's ceiling unless the address is known); the first bucket that refuses decides. `attemptsHere`
 * counts this attempt too.
 */
export function judgeSignIn(
  s: { address: boolean; nameAtAddress: boolean; nameCeiling: boolean; attemptsHere: number },
  rules: SignInRules,
): SignInVerdict {
  if (!s.address) return { kind: "refuse", reason: "address" };
  if (!s.nameAtAddress) return { kind: "refuse", reason: "name_at_address" };
  if (!s.nameCeiling) return { kind: "refuse", reason: "name_ceiling" };
  return { kind: "verify", delayMs: delayAfter(s.attemptsHere - 1, rules) };
}

/** Slow answers instead of refusals: 0 for the first few failures, then 0.5 s, 1 s, 2 s, ... up to the cap. */
export function delayAfter(failures: number, rules: SignInRules): number {
  const over = Math.floor(failures) - rules.freeFailures;
  if (over < 0) return 0;
  return Math.min(rules.maxDelayMs, rules.firstDelayMs * 2 ** over);
}

/**
 * The key an address is limited by. An IPv6 host usually has a whole /64 to itself, so one attacker
 * could otherwise use a fresh address per guess: IPv6 addresses are limited by their /64.
 */
export function addressKey(ip: string): string {
  const v4 = /^(?:::ffff:)?(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (v4?.[1]) return v4[1];
  if (!ip.includes(":")) return ip.slice(0, 64);
  const [head = "", tail = ""] = ip.split("::", 2);
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = ip.includes("::") ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => (g.replace(/^0+(?=.)/, "") || "0").toLowerCase())
    .join(":")}::/64`;
}
