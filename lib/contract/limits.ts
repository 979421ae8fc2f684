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
