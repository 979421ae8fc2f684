import { describe, expect, it } from "vitest";
import {
  credentialsInput,
  emptyInput,
  historyInput,
  openDialogInput,
  passwordSchema,
  readInput,
  readStateInput,
  sendMessageInput,
  syncInput,
  typingInput,
  usernameSchema,
} from "@/lib/contract/schemas";

const ok = (r: { success: boolean }) => expect(r.success).toBe(true);
const bad = (r: { success: boolean }) => expect(r.success).toBe(false);
const send = { dialogId: "d_1-A", clientKey: "abcdefgh", body: "hi" };

describe("ids", () => {
  it.each(["a", "A-z_09", "x".repeat(64), "cm9abc123def"])("accepts %j", (peerId) => {
    expect(openDialogInput.parse({ peerId })).toEqual({ peerId });
  });

  it.each(["", "x".repeat(65), "a b", "a/b", "a.b", "abc\n", "ä", "a;drop", "../x", "a\u0000"])("rejects %j", (peerId) => {
    bad(openDialogInput.safeParse({ peerId }));
  });
});

describe("strict objects", () => {
  it("reject extra keys", () => {
    bad(openDialogInput.safeParse({ peerId: "abc", extra: 1 }));
    bad(sendMessageInput.safeParse({ ...send, senderId: "someone" }));
    bad(syncInput.safeParse({ dialogs: [{ dialogId: "d1", afterSeq: 0, x: 1 }] }));
    bad(historyInput.safeParse({ dialogId: "d1", userId: "u" }));
    bad(credentialsInput.safeParse({ username: "alice", password: "password1", admin: true }));
  });

  it("reject a __proto__ or constructor key as parsed from JSON", () => {
    bad(openDialogInput.safeParse(JSON.parse('{"peerId":"abc","__proto__":{"admin":true}}')));
    bad(openDialogInput.safeParse(JSON.parse('{"peerId":"abc","constructor":{"prototype":{}}}')));
    bad(sendMessageInput.safeParse(JSON.parse('{"dialogId":"d1","clientKey":"abcdefgh","body":"x","__proto__":{}}')));
  });

  it("reject wrong types and non-objects", () => {
    bad(openDialogInput.safeParse({ peerId: 5 }));
    bad(openDialogInput.safeParse({}));
    bad(openDialogInput.safeParse(null));
    bad(openDialogInput.safeParse("abc"));
    bad(openDialogInput.safeParse(["abc"]));
    bad(sendMessageInput.safeParse({ ...send, body: 7 }));
    bad(sendMessageInput.safeParse({ ...send, body: null }));
  });
});

describe("sendMessageInput", () => {
  it("accepts a valid message, any body string (length checked elsewhere)", () => {
    ok(sendMessageInput.safeParse(send));
    ok(sendMessageInput.safeParse({ ...send, body: "" }));
    ok(sendMessageInput.safeParse({ ...send, body: "x".repeat(5000) }));
  });

  it("clientKey is 8..64 characters of [A-Za-z0-9_-]", () => {
    ok(sendMessageInput.safeParse({ ...send, clientKey: "123e4567-e89b-12d3-a456-426614174000" }));
    ok(sendMessageInput.safeParse({ ...send, clientKey: "k".repeat(64) }));
    bad(sendMessageInput.safeParse({ ...send, clientKey: "k".repeat(7) }));
    bad(sendMessageInput.safeParse({ ...send, clientKey: "k".repeat(65) }));
    bad(sendMessageInput.safeParse({ ...send, clientKey: "abcdefg!" }));
  });
});

describe("syncInput and historyInput", () => {
  it("sync: afterSeq is a non-negative integer; at most 100 dialogs", () => {
    ok(syncInput.safeParse({ dialogs: [] }));
    ok(syncInput.safeParse({ dialogs: [{ dialogId: "d1", afterSeq: 0 }] }));
    bad(syncInput.safeParse({ dialogs: [{ dialogId: "d1", afterSeq: -1 }] }));
    bad(syncInput.safeParse({ dialogs: [{ dialogId: "d1", afterSeq: 1.5 }] }));
    bad(syncInput.safeParse({ dialogs: [{ dialogId: "d1", afterSeq: "3" }] }));
    const many = (n: number) => ({ dialogs: Array.from({ length: n }, (_, i) => ({ dialogId: `d${i}`, afterSeq: 0 })) });
    ok(syncInput.safeParse(many(100)));
    bad(syncInput.safeParse(many(101)));
  });

  it("history: beforeSeq >= 1 and 1 <= limit <= 200, both optional", () => {
    ok(historyInput.safeParse({ dialogId: "d1" }));
    ok(historyInput.safeParse({ dialogId: "d1", beforeSeq: 1, limit: 200 }));
    bad(historyInput.safeParse({ dialogId: "d1", beforeSeq: 0 }));
    bad(historyInput.safeParse({ dialogId: "d1", limit: 0 }));
    bad(historyInput.safeParse({ dialogId: "d1", limit: 201 }));
    bad(historyInput.safeParse({ dialogId: "d1", limit: Number.NaN }));
    bad(historyInput.safeParse({ dialogId: "d1", beforeSeq: Number.POSITIVE_INFINITY }));
  });
});

describe("emptyInput", () => {
  it("accepts {}, undefined and null only", () => {
    ok(emptyInput.safeParse({}));
    ok(emptyInput.safeParse(undefined));
    ok(emptyInput.safeParse(null));
    bad(emptyInput.safeParse({ a: 1 }));
    bad(emptyInput.safeParse([]));
    bad(emptyInput.safeParse("x"));
  });
});

describe("credentials", () => {
  it("username is trimmed, 3..24 characters of letters, digits, dot, dash, underscore", () => {
    expect(usernameSchema.parse("  alice.b-c_1  ")).toBe("alice.b-c_1");
    bad(usernameSchema.safeParse("  ab  "));
    bad(usernameSchema.safeParse("x".repeat(25)));
    ok(usernameSchema.safeParse("x".repeat(24)));
    bad(usernameSchema.safeParse("al ice"));
    bad(usernameSchema.safeParse("alice@home"));
  });

  it("username errors carry readable messages", () => {
    const r = usernameSchema.safeParse("a!");
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message)).toContain("Username must be at least 3 characters.");
  });

  it("password is 8..200 characters, not trimmed", () => {
    ok(passwordSchema.safeParse("12345678"));
    ok(passwordSchema.safeParse("       8"));
    bad(passwordSchema.safeParse("1234567"));
    bad(passwordSchema.safeParse("x".repeat(201)));
    expect(credentialsInput.parse({ username: " bob ", password: "secret12" })).toEqual({ username: "bob", password: "secret12" });
  });
});

describe("read positions and typing", () => {
  it("a read names a dialog and a whole, non-negative seq that fits the stored column, nothing else", () => {
    ok(readInput.safeParse({ dialogId: "d1", seq: 0 }));
    ok(readInput.safeParse({ dialogId: "d1", seq: 2_147_483_647 }));
    for (const seq of [-1, 1.5, 2_147_483_648, Number.NaN, Infinity, "3", null]) bad(readInput.safeParse({ dialogId: "d1", seq }));
    bad(readInput.safeParse({ dialogId: "d1", seq: 1, userId: "someone-else" }));
    bad(readInput.safeParse({ dialogId: "dialog:d1", seq: 1 }));
  });

  it("read state takes no ids or 1 to 100 of them", () => {
    ok(readStateInput.safeParse({}));
    ok(readStateInput.safeParse({ dialogIds: ["d1"] }));
    ok(readStateInput.safeParse({ dialogIds: Array.from({ length: 100 }, (_, i) => `d${i}`) }));
    bad(readStateInput.safeParse({ dialogIds: [] }));
    bad(readStateInput.safeParse({ dialogIds: Array.from({ length: 101 }, (_, i) => `d${i}`) }));
    bad(readStateInput.safeParse({ userId: "u" }));
  });

  it("typing is a dialog and a boolean", () => {
    ok(typingInput.safeParse({ dialogId: "d1", typing: true }));
    bad(typingInput.safeParse({ dialogId: "d1", typing: "yes" }));
    bad(typingInput.safeParse({ dialogId: "d1" }));
    bad(typingInput.safeParse({ dialogId: "d1", typing: false, to: "u2" }));
  });
});
