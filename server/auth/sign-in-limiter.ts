/**
 * Limits password guessing: attempts per client IP and per username, each per minute, with a
 * maintained rate limiter (in memory, or in Redis when several nodes share the load).
 */
import { RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { LimiterFactory } from "../rate-limits";

export interface SignInLimiter {
  /** Counts an attempt; false when this IP or this username has used up its attempts. */
  allow(ip: string, username: string): Promise<boolean>;
  /** A successful sign-in clears the username's count. */
  reset(ip: string, username: string): Promise<void>;
}

export class RateLimitedSignIn implements SignInLimiter {
  constructor(
    private readonly byIp: RateLimiterAbstract,
    private readonly byName: RateLimiterAbstract,
  ) {}

  static create(make: LimiterFactory, name: string, attemptsPerMinute: number): RateLimitedSignIn {
    // An IP may hold several people (a household, an office): give it more room than one name.
    return new RateLimitedSignIn(make(`${name}-ip`, attemptsPerMinute * 5, 60), make(`${name}-name`, attemptsPerMinute, 60));
  }

  async allow(ip: string, username: string): Promise<boolean> {
    try {
      await Promise.all([this.byIp.consume(ip), this.byName.consume(nameKey(username))]);
      return true;
    } catch (err) {
      if (err instanceof RateLimiterRes) return false;
      throw err;
    }
  }

  async reset(_ip: string, username: string): Promise<void> {
    await this.byName.delete(nameKey(username));
  }
}

/** The same normalisation the account lookup applies, so " Alice" and "alice" share one allowance. */
const nameKey = (username: string) => username.trim().toLowerCase();
