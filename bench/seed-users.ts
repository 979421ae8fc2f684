/**
 * Where the virtual users come from. Signing thousands of users in through argon2id takes minutes, so:
 *  - most users are inserted straight into the database through the app's own UserRepository
 *    (before the server starts, on the same SQLite file), all sharing one real argon2id hash, and get
 *    a session cookie minted the way next-auth mints it (`encode` from next-auth/jwt, same secret,
 *    token {sub, name, sid}) for a Session row stored the way a sign-in stores it;
 *  - a sample signs up and signs in through the real endpoints (virtual-user.ts), to show the
 *    shortcut produces the same kind of session.
 * App-specific like virtual-user.ts: another server needs its own version of this file.
 */
import { hashPassword } from "../server/auth/password";
import { openDatabase } from "../server/persistence/database";
import { UserRepository } from "../server/persistence/user-repository";
import { storedSessionCookie } from "../test/support/session-cookie";
import { now, signIn, signUp, type Identity } from "./virtual-user";

export const BENCH_PASSWORD = "bench-password-0123";

export interface SeedReport {
  direct: number;
  realSignUps: number;
  /** Mean time of one real sign-up + sign-in (argon2id hash and verify included), ms. */
  realMsPerUser: number | null;
  seedSeconds: number;
}

/** Inserts `count` users into the database at `databaseUrl` and mints their session cookies. */
export async function seedUsers(opts: {
  databaseUrl: string;
  schema?: string;
  secret: string;
  count: number;
  prefix: string;
}): Promise<Identity[]> {
  const database = await openDatabase(opts.databaseUrl, opts.schema ? { schema: opts.schema } : {});
  try {
    const users = new UserRepository(database.db);
    const hash = await hashPassword(BENCH_PASSWORD); // one real hash: these users can sign in too
    const out: Identity[] = [];
    const batch = 50;
    for (let i = 0; i < opts.count; i += batch) {
      const made = await Promise.all(
        Array.from({ length: Math.min(batch, opts.count - i) }, async (_, j) => {
          const name = `${opts.prefix}${i + j}`;
          const user = await users.create(name, hash);
          if (!user) throw new Error(`could not create ${name}`);
          return user;
        }),
      );
      for (const u of made) {
        out.push({
          id: u.id,
          name: u.displayName,
          cookie: await storedSessionCookie(database.db, { id: u.id, name: u.displayName }, opts.secret),
        });
      }
    }
    return out;
  } finally {
    await database.close();
  }
}

/** Signs `count` new users up and in through the real HTTP endpoints, a few at a time. */
export async function realSignUps(
  baseUrl: string,
  count: number,
  prefix: string,
): Promise<{ users: Identity[]; msPerUser: number | null }> {
  const users: Identity[] = [];
  const t0 = now();
  for (let i = 0; i < count; i += 4) {
    const made = await Promise.all(
      Array.from({ length: Math.min(4, count - i) }, async (_, j) => {
        const creds = { username: `${prefix}${i + j}`, password: BENCH_PASSWORD };
        const user = await signUp(baseUrl, creds);
        const cookie = await signIn(baseUrl, creds);
        return { id: user.id, name: user.name, cookie };
      }),
    );
    users.push(...made);
  }
  return { users, msPerUser: count > 0 ? (now() - t0) / count : null };
}

export function describeSeed(r: SeedReport): string {
  return (
    `${r.realSignUps} users signed up and signed in through POST /api/register and next-auth's ` +
    `/api/auth/callback/credentials (${r.realMsPerUser?.toFixed(0) ?? "-"} ms each, argon2id included); ` +
    `${r.direct} users were inserted directly through the app's UserRepository before the server started ` +
    `(one shared argon2id hash) with session cookies minted by next-auth/jwt encode (same secret, token {sub, name, sid}).`
  );
}
