"use client";
/** Whether the person is looking at this tab: it is visible and its window has the focus. */
import { useSyncExternalStore } from "react";

function subscribe(onChange: () => void): () => void {
  window.addEventListener("focus", onChange);
  window.addEventListener("blur", onChange);
  document.addEventListener("visibilitychange", onChange);
  return () => {
    window.removeEventListener("focus", onChange);
    window.removeEventListener("blur", onChange);
    document.removeEventListener("visibilitychange", onChange);
  };
}

export const isAttentive = (): boolean => document.visibilityState === "visible" && document.hasFocus();

export function useAttention(): boolean {
  return useSyncExternalStore(subscribe, isAttentive, () => false);
}
