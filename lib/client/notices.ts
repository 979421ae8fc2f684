/**
 * Notices: short messages about events (a conversation ended, a request was refused). One per event:
 * a repeat of the same event refreshes the notice instead of stacking another. Each expires by itself
 * (not while the person is reading it: hovered or focused), can be dismissed, and a notice about a
 * person goes away when a conversation with them opens again.
 */
export interface Notice {
  id: number;
  /** What happened, e.g. `closed:<dialogId>`; the same key is the same notice. */
  key: string;
  text: string;
  /** The person it is about. */
  about?: string;
  expiresAt: number;
}

export interface NoticeInput {
  key: string;
  text: string;
  about?: string;
}

export const NOTICE_TTL_MS = 8000;
/** Time to finish reading after the pointer or focus leaves the notices. */
export const NOTICE_RESUME_MS = 3000;
const MAX_NOTICES = 3;

export function addNotice(notices: readonly Notice[], input: NoticeInput, id: number, now: number): Notice[] {
  const notice: Notice = { id, ...input, expiresAt: now + NOTICE_TTL_MS };
  const existing = notices.find((n) => n.key === input.key);
  if (existing) return notices.map((n) => (n === existing ? { ...notice, id: existing.id } : n));
  return [...notices, notice].slice(-MAX_NOTICES);
}

/** The notices still due at `now`; the same array when none expired (no re-render). */
export function expireNotices(notices: Notice[], now: number): Notice[] {
  return notices.some((n) => n.expiresAt <= now) ? notices.filter((n) => n.expiresAt > now) : notices;
}

export function dropNoticesAbout(notices: Notice[], userId: string): Notice[] {
  return notices.some((n) => n.about === userId) ? notices.filter((n) => n.about !== userId) : notices;
}

/** After a pause in reading, every notice gets at least a little more time. */
export function resumeNotices(notices: Notice[], now: number): Notice[] {
  return notices.map((n) => ({ ...n, expiresAt: Math.max(n.expiresAt, now + NOTICE_RESUME_MS) }));
}
