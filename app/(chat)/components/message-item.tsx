"use client";

import type { MessageView } from "@/lib/contract/events";
import type { OutgoingMessage } from "@/lib/client/messenger-state";
import { timeLabel } from "@/lib/client/time-label";
import { errorText } from "../use-messenger";

/** The short time is shown; the full date and time is on hover (title) and read by screen readers. */
function MessageTime({ sentAt, now }: { sentAt: number; now: number }) {
  const label = timeLabel(sentAt, now);
  return (
    <time dateTime={new Date(sentAt).toISOString()} title={label.full}>
      <span aria-hidden>{label.short}</span>
      <span className="sr-only">{label.full}</span>
    </time>
  );
}

// Text is rendered as React text nodes, never as HTML: markup in a message shows as typed.
export function MessageItem({ message, mine, seen, now }: { message: MessageView; mine: boolean; seen: boolean; now: number }) {
  return (
    <>
      <li className={`message ${mine ? "mine" : "theirs"}`} data-seq={message.seq} data-status="sent">
        <div className="meta">
          <span className="sender">{message.senderName}</span>
          <MessageTime sentAt={message.sentAt} now={now} />
        </div>
        <p className="body">{message.body}</p>
      </li>
      {seen && <li className="seen-mark">Seen</li>}
    </>
  );
}

export function OutgoingItem(props: { message: OutgoingMessage; selfName: string; onRetry: () => void; onDiscard: () => void }) {
  const { message } = props;
  const failed = message.status === "failed";
  return (
    <li className={`message mine ${message.status}`} data-status={message.status}>
      <div className="meta">
        <span className="sender">{props.selfName}</span>
        <span className="state">{failed ? "Not sent" : "Sending…"}</span>
      </div>
      <p className="body">{message.body}</p>
      {failed && (
        <div className="failure" role="alert">
          <span>{errorText(message.error ?? "internal")}</span>
          <button type="button" onClick={props.onRetry}>
            Retry
          </button>
          <button type="button" className="link" onClick={props.onDiscard}>
            Discard
          </button>
        </div>
      )}
    </li>
  );
}
