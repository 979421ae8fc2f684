/**
 * How a message's time reads: the time alone today, "Yesterday" and the time, the date and time
 * before that (with the year when it is not this year); and in full for hover and screen readers.
 */
export interface TimeLabel {
  short: string;
  full: string;
}

const startOfDay = (ms: number) => {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
};

export function timeLabel(sentAt: number, now: number, locale?: string): TimeLabel {
  const at = new Date(sentAt);
  const time = at.toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" });
  const full = at.toLocaleString(locale, { dateStyle: "full", timeStyle: "short" });
  const today = startOfDay(now);
  const day = startOfDay(sentAt);
  if (day === today) return { short: time, full };
  // Yesterday is the day before today's start, whatever its length (daylight saving changes).
  if (day === startOfDay(today - 1)) return { short: `Yesterday ${time}`, full };
  const sameYear = at.getFullYear() === new Date(now).getFullYear();
  const date = at.toLocaleDateString(locale, { day: "numeric", month: "short", ...(sameYear ? {} : { year: "numeric" }) });
  return { short: `${date}, ${time}`, full };
}
