export type UserId = string;
export type ConnectionId = string;
export type DialogId = string;

export interface UserProfile {
  readonly id: UserId;
  readonly name: string;
}

/** Time is injected so the core can be driven by a fake clock in tests. */
export interface Clock {
  now(): number;
}

export type Result<T, E extends string> = ({ ok: true } & T) | { ok: false; error: E };
