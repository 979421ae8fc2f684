"use client";
/**
 * Browser notifications: the permission is asked for only when the person clicks to turn them on,
 * never on load. The permission has no change event of its own: it is read when the page loads, when
 * asked, and when the person comes back to the tab (they may have changed it in site settings).
 */
import { useSyncExternalStore } from "react";

export type Permission = NotificationPermission | "unsupported";

const listeners = new Set<() => void>();
let known: Permission | null = null;

const read = (): Permission => (typeof Notification === "undefined" ? "unsupported" : Notification.permission);

function refresh(): void {
  const now = read();
  if (now === known) return;
  known = now;
  for (const l of listeners) l();
}

export async function askNotificationPermission(): Promise<void> {
  if (typeof Notification === "undefined") return;
  await Notification.requestPermission();
  refresh();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  document.addEventListener("visibilitychange", refresh);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) document.removeEventListener("visibilitychange", refresh);
  };
}

export function useNotificationPermission(): Permission {
  return useSyncExternalStore(
    subscribe,
    () => (known ??= read()),
    () => "unsupported",
  );
}

/** Shows a message as a notification; clicking it brings this tab forward and calls `onClick`. */
export function notify(title: string, body: string, tag: string, onClick: () => void): void {
  if (read() !== "granted") return;
  const n = new Notification(title, { body, tag });
  n.onclick = () => {
    window.focus();
    onClick();
    n.close();
  };
}
