/** Small client-side helpers for integration tests: typed requests with a timeout, and views of a log. */
import type { Socket } from "socket.io-client";
import { request, type RequestEvent, type RequestInput, type RequestReply } from "../../lib/client/request";
import type { MessageView } from "../../lib/contract/events";
import type { Connected } from "./test-server";

export type Input<E extends RequestEvent> = RequestInput<E>;
export type Reply<E extends RequestEvent> = RequestReply<E>;

/**
 * Sends a request and resolves with its ack; rejects if no ack arrives within `ms`. The ack of a
 * `message:send` is logged as the moment this tab is shown its own message, synchronously: frames that
 * arrive together are handled in one turn, so a later microtask would log it after them.
 */
export function ask<E extends RequestEvent>(
  conn: Connected | Connected["socket"],
  event: E,
  input: Input<E>,
  ms = 10_000,
): Promise<Reply<E>> {
  if (!("log" in conn) || event !== "message:send") return request(raw(conn), event, input, ms);
  return new Promise((resolve, reject) => {
    raw(conn)
      .timeout(ms)
      .emit(event, input, (err: Error | null, reply: Reply<E>) => {
        if (err) {
          reject(err);
          return;
        }
        if ("message" in reply) conn.log.acked(reply.message);
        resolve(reply);
      });
  });
}

/** The socket without the contract's types, for sending what a well-behaved client never would. */
export function raw(conn: Connected | Connected["socket"]): Socket {
  return "socket" in conn ? conn.socket : conn;
}

/** Sends a message and returns the stored copy from the ack (throws on refusal). */
export async function send(conn: Connected, dialogId: string, body: string, clientKey = newKey()): Promise<MessageView> {
  const res = await ask(conn, "message:send", { dialogId, clientKey, body });
  if (!res.ok) throw new Error(`send refused: ${res.error}`);
  return res.message;
}

/** Opens a dialog and returns its id (throws on refusal). */
export async function open(conn: Connected, peerId: string): Promise<string> {
  const res = await ask(conn, "dialog:open", { peerId });
  if (!res.ok) throw new Error(`open refused: ${res.error}`);
  return res.dialog.id;
}

let keys = 0;
/** A fresh idempotency key (the schema wants 8-64 chars of [A-Za-z0-9_-]). */
export const newKey = () => `k-${process.pid}-${++keys}-${Math.random().toString(36).slice(2, 10)}`;

/** Who this client believes is available: its welcome, then every presence delta in order. */
export function presentIds(conn: Connected): Set<string> {
  const ids = new Set(conn.welcome.users.map((u) => u.id));
  for (const delta of conn.log.of("presence:delta")) {
    for (const u of delta.online) ids.add(u.id);
    for (const id of delta.offline) ids.delete(id);
  }
  return ids;
}

/** Seqs of one dialog's messages this tab was shown (message:new and its own acks), in arrival order. */
export function shownSeqs(conn: Connected, dialogId: string): number[] {
  return conn.log
    .messages()
    .filter((m) => m.dialogId === dialogId)
    .map((m) => m.seq);
}

/** 1..n */
export const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => from + i);
