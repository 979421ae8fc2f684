/**
 * A request with an acknowledgement and a deadline, typed by the contract. socket.io-client's own
 * `timeout().emitWithAck()` loses the ack's type (it comes back as `any`); this keeps it.
 */
import type { Socket } from "socket.io-client";
import type { ClientToServerEvents } from "../contract/events";

export type RequestEvent = keyof ClientToServerEvents;
export type RequestInput<E extends RequestEvent> = Parameters<ClientToServerEvents[E]>[0];
export type RequestReply<E extends RequestEvent> = Parameters<Parameters<ClientToServerEvents[E]>[1]>[0];

/** Resolves with the server's answer; rejects when none arrives within `ms` (or the socket is down). */
export function request<E extends RequestEvent>(
  socket: Socket<never, ClientToServerEvents> | Socket,
  event: E,
  input: RequestInput<E>,
  ms: number,
): Promise<RequestReply<E>> {
  // The contract's types are applied here, once: emitWithAck's own are lost through timeout().
  return (socket as Socket).timeout(ms).emitWithAck(event, input) as Promise<RequestReply<E>>;
}
