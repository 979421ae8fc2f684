/**
 * Socket.IO's packet codec, plus one thing: a payload field holding `RawJson` is written as the JSON
 * text it carries instead of being serialized again. A welcome's list of who is available is the same
 * text for every client between two presence batches; serialized once and spliced, a 2,000-user login
 * storm stops re-encoding (and walking for binary data) a list of up to 2,000 users per connection.
 * Everything else goes through socket.io-parser unchanged, and decoding is its own.
 */
import { randomBytes } from "node:crypto";
import { Decoder, Encoder, PacketType, type Packet } from "socket.io-parser";

/** A JSON text, already serialized, to be sent as is: the text of a `T`. */
export class RawJson<T> {
  declare private readonly of: T;
  constructor(readonly json: string) {}
}

/**
 * A RawJson where the contract wants its value: what the client receives is the `T` it encodes. The
 * one place the type is bridged; only this module's encoder may see the result.
 */
export const sentAs = <T>(raw: RawJson<T>): T => raw as unknown as T;

// Stands in for a RawJson while the rest is serialized; random, so no user text can look like it.
const MARK = `\u0000raw-${randomBytes(8).toString("hex")}-`;
/** A stand-in as JSON.stringify writes it (the NUL escaped), with the RawJson's index. */
const MARKED = new RegExp(`"\\\\u0000${MARK.slice(1)}(\\d+)"`, "g");

/** Whether the payload has a top-level field holding RawJson (checked on every event: no allocation). */
function hasRawField(data: unknown): boolean {
  if (!Array.isArray(data)) return false;
  const payload: unknown = data[1];
  if (typeof payload !== "object" || payload === null) return false;
  for (const key in payload) if ((payload as Record<string, unknown>)[key] instanceof RawJson) return true;
  return false;
}

class SplicingEncoder extends Encoder {
  override encode(packet: Packet): unknown[] {
    if (packet.type !== PacketType.EVENT || !hasRawField(packet.data)) return super.encode(packet);
    const raws: string[] = [];
    const text = JSON.stringify(packet.data, (_key, value: unknown) => {
      if (!(value instanceof RawJson)) return value;
      raws.push(value.json);
      return `${MARK}${raws.length - 1}`;
    });
    const spliced = text.replace(MARKED, (_m, i: string) => raws[Number(i)] ?? "null");
    const nsp = packet.nsp && packet.nsp !== "/" ? `${packet.nsp},` : "";
    return [`${PacketType.EVENT}${nsp}${packet.id ?? ""}${spliced}`];
  }
}

/** The `parser` option of the Socket.IO server. */
export const rawJsonParser = { Encoder: SplicingEncoder, Decoder };
