/**
 * Carries out the sign-in policy (server/core/sign-in-policy.ts) on token buckets: in memory, or in
 * Redis when several nodes must share the counts. Callers pass a validated username and the address
 * the server saw (never a client's copy of it).
 */
import { addressKey, judgeSignIn, type SignInRules, type SignInVerdict } from "../core/sign-in-policy";
import type { BucketFactory, TokenBuckets } from "../rate-limits";

/** How long an address that signed in as a name stays "known" for that name. */
const KNOWN_FOR_S = 30 * 24 * 3600;

export interface SignInLimiter {
  /** Charges the attempt to the address and says whether to verify (after `delayMs`) or refuse. */
  begin(ip: string, username: string): Promise<SignInVerdict>;
  /** A request with no usable name still costs its address an attempt. */
  chargeAddress(ip: string): Promise<boolean>;
  /** Records the outcome: a success clears this address's attempts at the name and makes it known. */
  finish(ip: string, username: string, succeeded: boolean): Promise<void>;
}

export class BucketSignInLimiter implements SignInLimiter {
  private readonly perAddress: TokenBuckets;
  private readonly perNameAtAddress: TokenBuckets;
  private readonly perName: TokenBuckets;
  /** A bucket of one token that takes KNOWN_FOR_S to come back: spent = "signed in from here". */
  private readonly known: TokenBuckets;

  constructor(
    make: BucketFactory,
    private readonly rules: SignInRules,
  ) {
    this.perAddress = make("signin-ip", rules.perAddress);
    this.perNameAtAddress = make("signin-name-ip", rules.perNameAtAddress);
    this.perName = make("signin-name", rules.perName);
    this.known = make("signin-known", { perSecond: 1 / KNOWN_FOR_S, burst: 1 });
  }

  async begin(ip: string, username: string): Promise<SignInVerdict> {
    const address = addressKey(ip);
    const name = nameKey(username);
    const here = `${name}|${address}`;
    const refused = { address: true, nameAtAddress: true, nameCeiling: true, attemptsHere: 0 };
    // In order, stopping at the first refusal, so a refused attempt is not counted further on.
    if (!(await this.perAddress.take(address, 1)).allowed) return judgeSignIn({ ...refused, address: false }, this.rules);
    const atAddress = await this.perNameAtAddress.take(here, 1);
    if (!atAddress.allowed) return judgeSignIn({ ...refused, nameAtAddress: false }, this.rules);
    const known = (await this.known.used(here)) > 0;
    const ceiling = known || (await this.perName.take(name, 1)).allowed;
    const attemptsHere = this.rules.perNameAtAddress.burst - atAddress.remaining;
    return judgeSignIn({ address: true, nameAtAddress: true, nameCeiling: ceiling, attemptsHere }, this.rules);
  }

  async chargeAddress(ip: string): Promise<boolean> {
    return (await this.perAddress.take(addressKey(ip), 1)).allowed;
  }

  async finish(ip: string, username: string, succeeded: boolean): Promise<void> {
    if (!succeeded) return; // the attempt was counted when it began
    const here = `${nameKey(username)}|${addressKey(ip)}`;
    await Promise.all([this.perNameAtAddress.reset(here), this.known.take(here, 1, true)]);
  }
}

/** Sign-ups cost an argon2id hash each: limited per address. */
export class SignUpLimiter {
  private readonly perAddress: TokenBuckets;

  constructor(make: BucketFactory, perAddressPerMinute: number) {
    this.perAddress = make("signup-ip", { perSecond: perAddressPerMinute / 60, burst: perAddressPerMinute });
  }

  async allow(ip: string): Promise<boolean> {
    return (await this.perAddress.take(addressKey(ip), 1)).allowed;
  }
}

/** The account lookup's normalisation (trimmed, case-insensitive): " Alice" and "alice" share one allowance. */
const nameKey = (username: string) => username.trim().toLowerCase();
