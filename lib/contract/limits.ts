/** Limits shared by the UI (to explain them) and the server (to enforce them). */
export const LIMITS = {
  messageMaxChars: 2000,
  usernameMinChars: 3,
  usernameMaxChars: 24,
  passwordMinChars: 8,
  passwordMaxChars: 200,
  /** Largest page of messages one history or sync request returns. */
  pageMaxMessages: 200,
  /** Client-generated idempotency keys are short opaque tokens (a UUID fits). */
  clientKeyMaxChars: 64,
} as const;

/**
 * Typing indicator timing, agreed by both clients: a typist's client says "typing" on the first key,
 * repeats it at most every `refreshMs` while keys are pressed, and says "stopped" `idleMs` after the
 * last key (or sends the message, which ends it on arrival). A receiver drops a "typing" that is not
 * refreshed within `ttlMs` (a typist that vanished without a word).
 */
export const TYPING = {
  refreshMs: 2000,
  idleMs: 3000,
  ttlMs: 6000,
} as const;
