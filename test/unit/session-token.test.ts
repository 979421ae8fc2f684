// The handshake reads next-auth's session cookie with its own decoder (the derived key cached): it
// must accept exactly what next-auth's own `encode` mints and `decode` accepts, and nothing else.
import { decode, encode } from "next-auth/jwt";
import { describe, expect, it } from "vitest";
import { readSession } from "../../server/auth/session-token";

const secret = "a-test-secret-that-is-long-enough-for-hkdf";
const claims = { sub: "user-1", name: "alice", sid: "session-1" };

describe("readSession", () => {
  it("reads the identity from a cookie next-auth minted, whole or in chunks, under either cookie name", async () => {
    const token = await encode({ token: claims, secret });
    expect(await decode({ token, secret })).toMatchObject(claims);
    const identity = { userId: "user-1", name: "alice", sessionId: "session-1" };
    expect(await readSession(`other=1; next-auth.session-token=${token}`, secret)).toEqual(identity);
    expect(await readSession(`__Secure-next-auth.session-token=${token}`, secret)).toEqual(identity);
    const half = Math.floor(token.length / 2);
    const chunked = `next-auth.session-token.0=${token.slice(0, half)}; next-auth.session-token.1=${token.slice(half)}`;
    expect(await readSession(chunked, secret)).toEqual(identity);
  });

  it("refuses a token under another secret, an altered token, an expired one and one without a session id", async () => {
    const foreign = await encode({ token: claims, secret: `${secret}-other` });
    expect(await readSession(`next-auth.session-token=${foreign}`, secret)).toBeNull();

    const token = await encode({ token: claims, secret });
    const parts = token.split(".");
    const cipher = parts[3]!;
    parts[3] = (cipher[0] === "A" ? "B" : "A") + cipher.slice(1);
    expect(await readSession(`next-auth.session-token=${parts.join(".")}`, secret)).toBeNull();

    // Past next-auth's 15 s clock tolerance.
    const expired = await encode({ token: claims, secret, maxAge: -60 });
    await expect(decode({ token: expired, secret })).rejects.toThrow();
    expect(await readSession(`next-auth.session-token=${expired}`, secret)).toBeNull();

    const noSession = await encode({ token: { sub: "user-1", name: "alice" }, secret });
    expect(await readSession(`next-auth.session-token=${noSession}`, secret)).toBeNull();
    expect(await readSession(undefined, secret)).toBeNull();
    expect(await readSession("next-auth.session-token=not-a-jwt", secret)).toBeNull();
  });
});
