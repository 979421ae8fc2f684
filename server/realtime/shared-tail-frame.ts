/**
 * Sends one Socket.IO event whose payload ends with a large field shared by many sockets (the
 * welcome's list of who is available), writing the shared bytes to each socket as they are instead of
 * encoding, and copying, the whole packet per socket.
 *
 * Socket.IO's own broadcasts work this way: socket.io-adapter builds one WebSocket frame per broadcast
 * and hands it to Engine.IO as the packet option `wsPreEncodedFrame`, which Engine.IO's WebSocket
 * transport writes as is (ws's `sendFrame`: a header buffer, then a payload buffer). Here the first
 * buffer is the frame header with the per-socket start of the packet, the second the shared tail.
 * Engine.IO also gets the packet's text: a transport that cannot take a ready frame (none here:
 * WebSocket only, no compression) encodes that instead, so the client reads the same packet.
 */
import type { ServerToClientEvents } from "../../lib/contract/events";
import type { IoSocket } from "./types";

/** The end of an event packet, shared: a field's JSON value, then the closing of the payload and of the packet. */
export interface SharedTail<T = unknown> {
  readonly text: string;
  readonly bytes: Buffer;
  /** The value the text encodes (for type checks only). */
  readonly of?: T;
}

const CLOSING = "}]";

export function sharedTail<T>(valueJson: string): SharedTail<T> {
  const text = valueJson + CLOSING;
  return { text, bytes: Buffer.from(text) };
}

/** The header of a final, unmasked text frame of `length` payload bytes (RFC 6455 §5.2; a server never masks). */
export function textFrameHeader(length: number): Buffer {
  if (length < 126) return Buffer.from([0x81, length]);
  if (length < 65536) {
    const header = Buffer.from([0x81, 126, 0, 0]);
    header.writeUInt16BE(length, 2);
    return header;
  }
  const header = Buffer.alloc(10);
  header[0] = 0x81;
  header[1] = 127;
  header.writeUIntBE(length, 4, 6); // 2^48 bytes is beyond any frame here; the top two bytes stay 0
  return header;
}

/** Engine.IO's "message" packet type: the transport puts it before the Socket.IO packet. */
const ENGINE_MESSAGE = "4";
/** Socket.IO's "event" packet type (main namespace, no ack id). */
const SOCKET_EVENT = "2";

/** Engine.IO's send options (its type, without depending on engine.io directly). */
type SendOptions = NonNullable<Parameters<IoSocket["conn"]["write"]>[1]>;

type Payload<K extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[K]>[0];

/**
 * Emits `event` to this socket with the payload `{...head, [field]: <tail's value>}`: the client
 * decodes exactly what `socket.emit(event, payload)` would have sent.
 */
export function emitWithSharedTail<K extends keyof ServerToClientEvents, F extends keyof Payload<K> & string>(
  socket: IoSocket,
  event: K,
  head: Omit<Payload<K>, F>,
  field: F,
  tail: SharedTail<Payload<K>[F]>,
): void {
  const open = JSON.stringify([event, head]); // ends with the payload's "}]", dropped: the tail closes it
  const separator = open.endsWith("{}]") ? "" : ",";
  const start = `${SOCKET_EVENT}${open.slice(0, -CLOSING.length)}${separator}${JSON.stringify(field)}:`;
  const startBytes = Buffer.from(ENGINE_MESSAGE + start);
  const frame = [Buffer.concat([textFrameHeader(startBytes.length + tail.bytes.length), startBytes]), tail.bytes];
  const options: SendOptions = { compress: false };
  socket.conn.write(start + tail.text, Object.assign(options, { wsPreEncodedFrame: frame }));
}
