import { describe, expect, it } from "vitest";
import { LIMITS } from "@/lib/contract/limits";
import { checkMessageBody, messageLength } from "@/lib/contract/message-rules";

describe("messageLength", () => {
  it("counts code points, so an emoji outside the BMP is one character", () => {
    expect("😀".length).toBe(2);
    expect(messageLength("😀")).toBe(1);
    expect(messageLength("a😀b")).toBe(3);
    expect(messageLength("")).toBe(0);
    expect(messageLength("héllo")).toBe(5);
  });
});

describe("checkMessageBody", () => {
  it.each(["", " ", "   ", "\n\t \r\n", "\u00a0\u2003"])("empty or whitespace-only %j -> message_empty", (body) => {
    expect(checkMessageBody(body)).toBe("message_empty");
  });

  it("accepts ordinary text, keeping surrounding whitespace legal", () => {
    expect(checkMessageBody("hi")).toBeNull();
    expect(checkMessageBody("  hi  \n")).toBeNull();
  });

  it("the limit is 2000", () => {
    expect(LIMITS.messageMaxChars).toBe(2000);
  });

  it("exactly 2000 code points is ok, 2001 is message_too_long", () => {
    expect(checkMessageBody("a".repeat(2000))).toBeNull();
    expect(checkMessageBody("a".repeat(2001))).toBe("message_too_long");
  });

  it("2000 emoji (4000 UTF-16 units) is ok; 2001 emoji is too long", () => {
    expect(checkMessageBody("😀".repeat(2000))).toBeNull();
    expect(checkMessageBody("😀".repeat(2001))).toBe("message_too_long");
    expect(checkMessageBody("a".repeat(1999) + "😀")).toBeNull();
  });

  it("whitespace counts toward the length once the message is not empty", () => {
    expect(checkMessageBody("x" + " ".repeat(2000))).toBe("message_too_long");
  });

  it("an over-long whitespace-only body is reported as empty", () => {
    expect(checkMessageBody(" ".repeat(5000))).toBe("message_empty");
  });
});
