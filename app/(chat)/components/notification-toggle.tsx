"use client";

import { useEffect, useRef } from "react";
import { askNotificationPermission, useNotificationPermission } from "../hooks/use-notification-permission";

/** Asks for notification permission when clicked, never on its own. */
export function NotificationToggle() {
  const permission = useNotificationPermission();
  const answer = useRef<HTMLSpanElement>(null);
  const asked = useRef(false);

  // The button is replaced by the answer: focus follows it instead of falling back to the page.
  useEffect(() => {
    if (asked.current && permission !== "default") {
      asked.current = false;
      answer.current?.focus();
    }
  }, [permission]);

  if (permission === "unsupported") return null;
  if (permission === "default") {
    return (
      <button
        type="button"
        className="link"
        onClick={() => {
          asked.current = true;
          void askNotificationPermission();
        }}
      >
        Turn on notifications
      </button>
    );
  }
  return (
    <span ref={answer} tabIndex={-1} className="muted small">
      {permission === "granted" ? "Notifications on" : "Notifications are blocked in your browser's site settings"}
    </span>
  );
}
