"use client";

import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import { LIMITS } from "@/lib/contract/limits";
import { messageLength } from "@/lib/contract/message-rules";
import { errorText, type SendOutcome } from "../use-messenger";

/** Enter sends, Shift+Enter adds a line. A refused message stays in the box with the reason shown. */
export function Composer(props: {
  peerName: string;
  focusNonce: number;
  online: boolean;
  onSend: (body: string) => SendOutcome;
  /** Every change of the text (the peer sees "typing…"). */
  onTyping: (text: string) => void;
}) {
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const ref = useRef<HTMLTextAreaElement>(null);
  const length = messageLength(text);
  const over = length > LIMITS.messageMaxChars;

  useEffect(() => {
    if (props.focusNonce > 0) ref.current?.focus();
  }, [props.focusNonce]);

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key !== "Enter" || e.shiftKey || e.nativeEvent.isComposing) return;
    e.preventDefault();
    const outcome = props.onSend(text);
    if (outcome.ok) {
      setText("");
      setError(null);
    } else if (outcome.error !== "message_empty") {
      setError(errorText(outcome.error));
    }
  }

  return (
    <div className="composer">
      <textarea
        ref={ref}
        rows={2}
        value={text}
        placeholder={`Message ${props.peerName} — Enter to send, Shift+Enter for a new line`}
        aria-label={`Message ${props.peerName}`}
        aria-invalid={over}
        onChange={(e) => {
          setText(e.target.value);
          props.onTyping(e.target.value);
          if (error) setError(null);
        }}
        onKeyDown={onKeyDown}
      />
      <div className="composer-foot">
        {error ? (
          <span className="error" role="alert">
            {error}
          </span>
        ) : !props.online ? (
          <span className="muted small">Offline: messages will be sent when the connection is back.</span>
        ) : (
          <span />
        )}
        {length > LIMITS.messageMaxChars * 0.8 && (
          <span className={over ? "counter over" : "counter"}>
            {length}/{LIMITS.messageMaxChars}
          </span>
        )}
      </div>
    </div>
  );
}
