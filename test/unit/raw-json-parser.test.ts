// The welcome's list of who else is available is serialized once and spliced into each welcome: what a
// client decodes must be exactly what serializing the list for that viewer would have given.
import fc from "fast-check";
import { Decoder, Encoder, PacketType, type Packet } from "socket.io-parser";
import { describe, expect, it } from "vitest";
import { OthersAvailable } from "@/server/core/node-service";
import type { UserProfile } from "@/server/core/types";
import { RawJson, rawJsonParser } from "@/server/realtime/raw-json-parser";
import { othersJson } from "@/server/realtime/welcome-users";

const decode = (encoded: unknown[]): Packet => {
  const decoder = new Decoder();
  let out: Packet | undefined;
  decoder.on("decoded", (p: Packet) => (out = p));
  for (const chunk of encoded) decoder.add(chunk);
  if (!out) throw new Error("nothing decoded");
  return out;
};

const users = fc.uniqueArray(fc.record({ id: fc.uuid(), name: fc.string({ unit: "binary", maxLength: 12 }) }), {
  selector: (u) => u.id,
  maxLength: 12,
});

describe("the welcome's users, encoded once per snapshot", () => {
  it("decode to everyone in the snapshot but the viewer, in order, whoever the viewer is", () => {
    fc.assert(
      fc.property(users, fc.nat(), fc.boolean(), (snapshot: UserProfile[], pick, absent) => {
        const viewer = absent || snapshot.length === 0 ? "someone-else" : snapshot[pick % snapshot.length]!.id;
        const others = new OthersAvailable(snapshot, viewer);
        expect(JSON.parse(othersJson(others).json)).toEqual(others.toArray().map((u) => ({ id: u.id, name: u.name })));
      }),
    );
  });

  it("is the same text for every welcome of one snapshot, and a new one for the next snapshot", () => {
    const snapshot: UserProfile[] = [
      { id: "a", name: "Ann" },
      { id: "b", name: "Ben" },
    ];
    expect(othersJson(new OthersAvailable(snapshot, "x")).json).toBe(othersJson(new OthersAvailable(snapshot, "y")).json);
    const next = [...snapshot, { id: "c", name: "Cy" }];
    expect(JSON.parse(othersJson(new OthersAvailable(next, "x")).json)).toHaveLength(3);
  });
});

describe("the packet encoder", () => {
  const plain = new Encoder();
  const splicing = new rawJsonParser.Encoder();

  it("writes a RawJson field as its JSON: the packet decodes as if the value had been serialized", () => {
    fc.assert(
      fc.property(users, fc.string({ unit: "binary" }), fc.option(fc.nat()), fc.constantFrom("/", "/admin"), (list, text, id, nsp) => {
        const payload = { self: { id: "me", name: text }, dialogs: [{ id: "d", peer: { id: "p", name: text } }], serverId: text };
        const packet = (users: unknown): Packet => ({
          type: PacketType.EVENT,
          nsp,
          data: ["session:welcome", { ...payload, users }],
          ...(id === null ? {} : { id }),
        });
        const spliced = decode(splicing.encode(packet(new RawJson(JSON.stringify(list)))));
        expect(spliced).toEqual(decode(plain.encode(packet(list))));
      }),
    );
  });

  it("leaves packets without RawJson, acks and binary packets to socket.io-parser", () => {
    const packets: Packet[] = [
      { type: PacketType.EVENT, nsp: "/", data: ["message:new", { body: "hi" }] },
      { type: PacketType.ACK, nsp: "/", id: 3, data: [{ ok: true }] },
      { type: PacketType.EVENT, nsp: "/", data: ["x", { blob: Buffer.from([1, 2]) }] },
    ];
    for (const p of packets) expect(splicing.encode(p)).toEqual(plain.encode(p));
  });
});
