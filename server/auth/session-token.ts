/**
 * Reads the next-auth session from a raw Cookie header (the Socket.IO handshake has no parsed
 * cookies), so sockets are authenticated by the very session the pages use.
 */
import { hkdfSync } from "node:crypto";
import { jwtDecrypt } from "jose";

export const SESSION_COOKIES = ["__Secure-next-auth.session-token", "next-auth.session-token"] as const;

export interface SessionIdentity {
  userId: string;
  name: string;
  sessionId: string;
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const raw = part.slice(eq + 1).trim();
    try {
      cookies.set(name, decodeURIComponent(raw));
    } catch {
      cookies.set(name, raw);
    }
  }
  return cookies;
}

/** next-auth splits large tokens into name.0, name.1, ...; join them back. */
function sessionToken(cookies: Map<string, string>): string | undefined {
  for (const name of SESSION_COOKIES) {
    const whole = cookies.get(name);
    if (whole) return whole;
    const chunks: string[] = [];
    for (let chunk = cookies.get(`${name}.0`); chunk !== undefined; chunk = cookies.get(`${name}.${chunks.length}`)) chunks.push(chunk);
    if (chunks.length > 0) return chunks.join("");
  }
  return undefined;
}

/**
 * The key next-auth's `decode` derives from the secret (HKDF-SHA256, empty salt, its info string), on
 * every call: a few hundred microseconds of a login storm per handshake. Derived once per secret here.
 */
const keys = new Map<string, Uint8Array>();
function encryptionKey(secret: string): Uint8Array {
  let key = keys.get(secret);
  if (!key) {
    key = new Uint8Array(hkdfSync("sha256", secret, "", "NextAuth.js Generated Encryption Key", 32));
    keys.set(secret, key);
  }
  return key;
}

/** next-auth's `decode`, with the derived key cached: same algorithm (dir, A256GCM), same clock tolerance. */
async function decode(token: string, secret: string) {
  const { payload } = await jwtDecrypt(token, encryptionKey(secret), { clockTolerance: 15 });
  return payload;
}

/** The identity in a valid, unexpired session cookie; null for none, forged or expired. */
export async function readSession(cookieHeader: string | undefined, secret: string): Promise<SessionIdentity | null> {
  const token = sessionToken(parseCookies(cookieHeader));
  if (!token) return null;
  try {
    const jwt = await decode(token, secret);
    if (typeof jwt.sub !== "string" || typeof jwt.sid !== "string") return null;
    if (typeof jwt.exp === "number" && jwt.exp * 1000 < Date.now()) return null;
    return { userId: jwt.sub, name: typeof jwt.name === "string" ? jwt.name : "", sessionId: jwt.sid };
  } catch {
    return null;
  }
}
