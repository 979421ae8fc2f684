"use client";

import { useEffect, useLayoutEffect, useRef } from "react";
import type { SendOutcome } from "../use-messenger";
import type { DialogState } from "@/lib/client/messenger-state";
import { Composer } from "./composer";
import { MessageItem, OutgoingItem } from "./message-item";

interface Props {
  dialog: DialogState;
  selfId: string;
  focusNonce: number;
  online: boolean;
  onSend(body: string): SendOutcome;
  onRetry(clientKey: string): void;
  onDiscard(clientKey: string): void;
  onLoadOlder(): void;
}

export function DialogPanel({ dialog, selfId, focusNonce, online, onSend, onRetry, onDiscard, onLoadOlder }: Props) {
  const listRef = useRef<HTMLOListElement>(null);
  const stick = useRef(true);
  const lastSeq = dialog.messages[dialog.messages.length - 1]?.seq ?? 0;
  const firstSeq = dialog.messages[0]?.seq ?? 0;
  const heightBefore = useRef(0);

  // Follow new messages while the reader is at the bottom; keep the view still when older ones load.
  useLayoutEffect(() => {
    const el = listRef.current;
    if (!el) return;
    if (stick.current) el.scrollTop = el.scrollHeight;
  }, [lastSeq, dialog.outbox.length]);
  useLayoutEffect(() => {
    const el = listRef.current;
    if (el && heightBefore.current && !stick.current) el.scrollTop += el.scrollHeight - heightBefore.current;
    heightBefore.current = 0;
  }, [firstSeq]);
  useEffect(() => {
    const el = listRef.current;
    if (el && dialog.hasOlder && el.scrollHeight <= el.clientHeight) onLoadOlder();
  }, [dialog.hasOlder, firstSeq, onLoadOlder]);

  return (
    <section
      className={dialog.closed ? "dialog ended" : "dialog"}
      aria-label={`Conversation with ${dialog.peer.name}`}
      data-dialog-with={dialog.peer.name}
      data-state={dialog.closed ? "ended" : "open"}
    >
      <header>
        <span className="dot" aria-hidden />
        <h3>{dialog.peer.name}</h3>
        {dialog.closed && <span className="ended-tag">ended</span>}
      </header>
      <ol
        ref={listRef}
        className="messages"
        data-testid="messages"
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
          if (el.scrollTop < 40 && dialog.hasOlder) {
            heightBefore.current = el.scrollHeight;
            onLoadOlder();
          }
        }}
      >
        {dialog.hasOlder && <li className="older">Scroll up for older messages</li>}
        {dialog.loaded && dialog.messages.length === 0 && dialog.outbox.length === 0 && (
          <li className="muted small">No messages yet. Say hello!</li>
        )}
        {dialog.messages.map((m) => (
          <MessageItem key={m.id} message={m} mine={m.senderId === selfId} />
        ))}
        {dialog.outbox.map((o) => (
          <OutgoingItem key={o.clientKey} message={o} onRetry={() => onRetry(o.clientKey)} onDiscard={() => onDiscard(o.clientKey)} />
        ))}
      </ol>
      {dialog.closed ? (
        <p className="ended-hint">
          This conversation ended while messages were unsent. Retry them to reopen it, or discard them.
        </p>
      ) : (
        <Composer peerName={dialog.peer.name} focusNonce={focusNonce} online={online} onSend={onSend} />
      )}
    </section>
  );
}
