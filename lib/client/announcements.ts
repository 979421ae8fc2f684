/**
 * What screen readers are told as it happens (a polite live region): messages from the people you
 * talk to, and who came and went. Connection changes are announced by the status itself.
 */
import type { MessageView, PresenceDelta, UserView } from "../contract/events";

export interface Announcement {
  id: number;
  text: string;
}

const MAX_ANNOUNCEMENTS = 5;
const MAX_SPOKEN_CHARS = 200;
const MAX_NAMED = 3;

export function announce(list: readonly Announcement[], texts: string[], firstId: number): Announcement[] {
  if (texts.length === 0) return list as Announcement[];
  return [...list, ...texts.map((text, i) => ({ id: firstId + i, text }))].slice(-MAX_ANNOUNCEMENTS);
}

export function messageAnnouncement(m: MessageView): string {
  const body = m.body.length > MAX_SPOKEN_CHARS ? `${m.body.slice(0, MAX_SPOKEN_CHARS)}…` : m.body;
  return `${m.senderName}: ${body}`;
}

/** "bob is online", "ann went offline"; a crowd is summed up rather than read out name by name. */
export function presenceAnnouncements(delta: PresenceDelta, known: readonly UserView[], selfId: string | undefined): string[] {
  const before = new Set(known.map((u) => u.id));
  const came = delta.online.filter((u) => u.id !== selfId && !before.has(u.id));
  const left = delta.offline.flatMap((id) => known.filter((u) => u.id === id));
  const texts: string[] = [];
  if (came.length > MAX_NAMED) texts.push(`${came.length} people came online`);
  else for (const u of came) texts.push(`${u.name} is online`);
  if (left.length > MAX_NAMED) texts.push(`${left.length} people went offline`);
  else for (const u of left) texts.push(`${u.name} went offline`);
  return texts;
}
