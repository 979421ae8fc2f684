"use client";

import type { MessageView } from "@/lib/contract/events";
import type { OutgoingMessage } from "@/lib/client/messenger-state";
import { errorText } from "../use-messenger";

const time = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

// Text is rendered as React text nodes, never as HTML: markup in a message shows as typed.
export function MessageItem({ message, mine }: { message: MessageView; mine: boolean }) {
  return (
    <li className={`message ${mine ? "mine" : "theirs"}`} data-seq={message.seq} data-status="sent">
      <div className="meta">
        <span className="sender">{message.senderName}</span>
        <time dateTime={new Date(message.sentAt).toISOString()}>{time(message.sentAt)}</time>
      </div>
      <p className="body">{message.body}</p>
    </li>
  );
}

export function OutgoingItem({ message, onRetry, onDiscard }: { message: OutgoingMessage; onRetry(): void; onDiscard(): void }) {
  const failed = message.status === "failed";
  return (
    <li className={`message mine ${message.status}`} data-status={message.status}>
      <div className="meta">
        <span className="sender">You</span>
        <span className="state">{failed ? "Not sent" : "Sending…"}</span>
      </div>
      <p className="body">{message.body}</p>
      {failed && (
        <div className="failure" role="alert">
          <span>{errorText(message.error ?? "internal")}</span>
          <button type="button" onClick={onRetry}>
            Retry
          </button>
          <button type="button" className="link" onClick={onDiscard}>
            Discard
          </button>
        </div>
      )}
    </li>
  );
}
