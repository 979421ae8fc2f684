"use client";

import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from "react";
import type { ConversationRead, DialogState } from "@/lib/client/messenger-state";
import { seenMarkSeq } from "@/lib/client/read-state";
import { useAttention } from "../hooks/use-attention";
import { useNow } from "../hooks/use-now";
import { useOnScreen } from "../hooks/use-on-screen";
import type { MessengerActions } from "../use-messenger";
import { Composer } from "./composer";
import { MessageItem, OutgoingItem } from "./message-item";

interface Props {
  dialog: DialogState;
  selfId: string;
  selfName: string;
  read: ConversationRead | undefined;
  unread: number;
  peerTyping: boolean;
  focusNonce: number;
  online: boolean;
  messenger: MessengerActions;
}

/** Within this many pixels of the bottom, the list follows new messages. */
const STICK_PX = 40;

/** The seq of the last message whose top is inside the list's viewport: what the person can see. */
function lastVisibleSeq(list: HTMLElement): number {
  const bottom = list.getBoundingClientRect().bottom;
  const items = list.querySelectorAll<HTMLElement>("li[data-seq]");
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    if (item && item.getBoundingClientRect().top < bottom - 4) return Number(item.dataset.seq);
  }
  return 0;
}

export function DialogPanel({ dialog, selfId, selfName, read, unread, peerTyping, focusNonce, online, messenger }: Props) {
  const sectionRef = useRef<HTMLElement>(null);
  const listRef = useRef<HTMLOListElement>(null);
  const stick = useRef(true);
  const heightBefore = useRef(0);
  const [atBottom, setAtBottom] = useState(true);
  const now = useNow();
  const attentive = useAttention();
  const onScreen = useOnScreen(sectionRef);
  const looking = attentive && onScreen && !dialog.hidden && !dialog.closed;
  const { id, peer } = dialog;
  const lastSeq = dialog.messages[dialog.messages.length - 1]?.seq ?? 0;
  const firstSeq = dialog.messages[0]?.seq ?? 0;

  /** What the person can see now counts as read, while they are looking at this pane. */
  const reportShown = () => {
    const el = listRef.current;
    if (!el || !looking) return;
    const seq = lastVisibleSeq(el);
    if (seq > 0) messenger.shown(id, seq);
  };

  // Follow new messages while the reader is at the bottom; your own new message always brings you there.
  const outboxLength = dialog.outbox.length;
  const outboxBefore = useRef(outboxLength);
  useLayoutEffect(() => {
    const el = listRef.current;
    if (!el) return;
    if (outboxLength > outboxBefore.current) stick.current = true;
    outboxBefore.current = outboxLength;
    if (stick.current) el.scrollTop = el.scrollHeight;
  }, [lastSeq, outboxLength, peerTyping]);
  // Keep the view still when older messages load above.
  useLayoutEffect(() => {
    const el = listRef.current;
    if (el && heightBefore.current && !stick.current) el.scrollTop += el.scrollHeight - heightBefore.current;
    heightBefore.current = 0;
  }, [firstSeq]);
  // The pane grows and shrinks (window, notices, phone keyboard): the newest message stays in view.
  useEffect(() => {
    const el = listRef.current;
    if (!el) return;
    const observer = new ResizeObserver(() => {
      if (stick.current) el.scrollTop = el.scrollHeight;
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  useEffect(() => {
    const el = listRef.current;
    if (el && dialog.hasOlder && el.scrollHeight <= el.clientHeight) messenger.loadOlder(id);
  }, [dialog.hasOlder, firstSeq, id, messenger]);
  // Looking again (focus, scrolled into view) or a new message: what is on screen now is read.
  useEffect(reportShown, [looking, lastSeq, id, messenger]);
  useEffect(() => {
    if (focusNonce > 0) sectionRef.current?.scrollIntoView({ block: "nearest", inline: "nearest" });
  }, [focusNonce]);

  const close = () => {
    messenger.hide(id);
    // Focus goes where the person can bring the conversation back: its entry in the list.
    const entry = document.querySelector<HTMLElement>(`[data-user-id="${CSS.escape(peer.id)}"]`);
    (entry ?? document.getElementById("conversations"))?.focus();
  };
  const onKeyDown = (e: KeyboardEvent<HTMLElement>) => {
    if (e.key !== "Escape" || e.nativeEvent.isComposing) return;
    e.preventDefault();
    close();
  };

  const jumpToNewest = () => {
    const el = listRef.current;
    if (!el) return;
    stick.current = true;
    setAtBottom(true);
    el.scrollTop = el.scrollHeight;
    el.focus();
  };

  let newBelow = 0;
  for (let i = dialog.messages.length - 1; i >= 0 && (dialog.messages[i]?.seq ?? 0) > dialog.shownSeq; i--) newBelow++;
  const seenSeq = read ? seenMarkSeq(dialog.messages, selfId, read.peerReadSeq) : null;

  return (
    <section
      ref={sectionRef}
      className={dialog.closed ? "dialog ended" : "dialog"}
      aria-label={`Conversation with ${peer.name}`}
      data-dialog-with={peer.name}
      data-state={dialog.closed ? "ended" : "open"}
      hidden={dialog.hidden}
      onKeyDown={onKeyDown}
    >
      <header>
        <span className="dot" aria-hidden />
        <h2>{peer.name}</h2>
        {unread > 0 && <span className="unread-badge">{unread} unread</span>}
        {dialog.closed && <span className="ended-tag">ended</span>}
        <button type="button" className="close" onClick={close} aria-label={`Close conversation with ${peer.name}`} title="Close (Esc)">
          ×
        </button>
      </header>
      <div className="messages-wrap">
        <ol
          ref={listRef}
          className="messages"
          data-testid="messages"
          tabIndex={0}
          aria-label={`Messages with ${peer.name}`}
          onScroll={(e) => {
            const el = e.currentTarget;
            stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX;
            setAtBottom(stick.current);
            if (el.scrollTop < STICK_PX && dialog.hasOlder) {
              heightBefore.current = el.scrollHeight;
              messenger.loadOlder(id);
            }
            reportShown();
          }}
        >
          {dialog.hasOlder && <li className="older">Scroll up for older messages</li>}
          {dialog.loaded && dialog.messages.length === 0 && dialog.outbox.length === 0 && (
            <li className="muted small">No messages yet. Say hello!</li>
          )}
          {dialog.messages.map((m) => (
            <MessageItem key={m.id} message={m} mine={m.senderId === selfId} seen={m.seq === seenSeq} now={now} />
          ))}
          {dialog.outbox.map((o) => (
            <OutgoingItem
              key={o.clientKey}
              message={o}
              selfName={selfName}
              onRetry={() => messenger.retry(id, o.clientKey)}
              onDiscard={() => messenger.discard(id, o.clientKey)}
            />
          ))}
        </ol>
        {!atBottom && newBelow > 0 && (
          <button type="button" className="jump" onClick={jumpToNewest}>
            {newBelow === 1 ? "1 new message" : `${newBelow} new messages`} <span aria-hidden>↓</span>
          </button>
        )}
      </div>
      <p className="typing">{peerTyping && !dialog.closed ? `${peer.name} is typing…` : ""}</p>
      {dialog.closed ? (
        <p className="ended-hint">This conversation ended while messages were unsent. Retry them to reopen it, or discard them.</p>
      ) : (
        <Composer
          peerName={peer.name}
          focusNonce={focusNonce}
          online={online}
          onSend={(body) => messenger.send(id, body)}
          onTyping={(text) => messenger.typing(id, text)}
        />
      )}
    </section>
  );
}
