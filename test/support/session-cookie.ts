/**
 * A session cookie for a user created outside the sign-in page (straight in the database): a stored
 * Session row, as a real sign-in makes, and the JWT next-auth would mint for it.
 */
import { randomUUID } from "node:crypto";
import { encode } from "next-auth/jwt";
import type { Db } from "../../server/persistence/database";

const DAY_MS = 24 * 3600 * 1000;

export async function storedSessionCookie(db: Db, user: { id: string; name: string }, secret: string): Promise<string> {
  const sid = randomUUID();
  await db.session.create({ data: { id: sid, userId: user.id, expiresAt: new Date(Date.now() + DAY_MS) } });
  const token = await encode({ token: { sub: user.id, name: user.name, sid }, secret });
  return `next-auth.session-token=${token}`;
}
