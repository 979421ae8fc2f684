"use client";

import type { Notice } from "@/lib/client/messenger-state";

/**
 * Notices sit above the conversations in a strip of bounded height: the panes shrink a little, they
 * are never pushed off screen or covered. They are read out by the announcer, not by a region here.
 * While the pointer or keyboard focus is on them, none expires.
 */
export function Notices(props: { notices: Notice[]; onDismiss: (id: number) => void; onHold: (held: boolean) => void }) {
  if (props.notices.length === 0) return null;
  return (
    <section
      className="notices"
      aria-label="Notices"
      onMouseEnter={() => props.onHold(true)}
      onMouseLeave={() => props.onHold(false)}
      onFocus={() => props.onHold(true)}
      onBlur={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget)) props.onHold(false);
      }}
    >
      <ul>
        {props.notices.map((n) => (
          <li key={n.id} className="notice">
            <span>{n.text}</span>
            <button
              type="button"
              aria-label={`Dismiss: ${n.text}`}
              title="Dismiss"
              onClick={(e) => {
                // Focus stays among the notices (the next one) or goes to the conversations, never to the page.
                const item = e.currentTarget.closest("li");
                const next = (item?.nextElementSibling ?? item?.previousElementSibling)?.querySelector("button");
                (next ?? document.getElementById("conversations"))?.focus();
                props.onDismiss(n.id);
              }}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
