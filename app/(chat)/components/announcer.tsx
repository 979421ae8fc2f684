"use client";

import type { Announcement } from "@/lib/client/messenger-state";

/** The polite live region: screen readers read each new line (messages, who came and went, notices). */
export function Announcer({ items }: { items: Announcement[] }) {
  return (
    <div className="sr-only" role="log" aria-live="polite" aria-label="Announcements">
      {items.map((a) => (
        <p key={a.id}>{a.text}</p>
      ))}
    </div>
  );
}
