/**
 * next-auth configuration: username + password (Credentials provider), JWT sessions in an httpOnly,
 * SameSite=Lax cookie. Each sign-in gets its own session id (`sid`) and a row in the Session table;
 * every later read of the cookie (pages, /api/auth/session) checks that row, so a session signed out
 * (here, everywhere, or by deleting the user) is over on every page and node, whatever the cookie
 * says. The JWT's lifetime slides with use (SESSION_IDLE_S); the row caps it (SESSION_MAX_AGE_S).
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { AuthOptions, User } from "next-auth";
import type { AdapterUser } from "next-auth/adapters";
import type { JWT } from "next-auth/jwt";
import credentialsModule from "next-auth/providers/credentials";
import { credentialsInput } from "../../lib/contract/schemas";
import type { SessionRepository } from "../persistence/session-repository";
import type { Accounts } from "./accounts";
import type { SignInLimiter } from "./sign-in-limiter";

// next-auth ships CommonJS: under Node's ESM loader its default export arrives wrapped once more.
const CredentialsProvider = (credentialsModule as unknown as { default?: typeof credentialsModule }).default ?? credentialsModule;

/** Thrown from the jwt callback: next-auth then answers "no session" and clears the cookie. */
class SessionEnded extends Error {
  override readonly name = "SessionEnded";
  constructor() {
    super("session ended");
  }
}

export function buildAuthOptions(deps: {
  accounts: Accounts;
  limiter: SignInLimiter;
  sessions: SessionRepository;
  secret: string;
}): AuthOptions {
  const { accounts, limiter, sessions } = deps;
  const idleS = Math.floor(sessions.lifetime.idleMs / 1000);
  return {
    secret: deps.secret,
    session: { strategy: "jwt", maxAge: idleS },
    jwt: { maxAge: idleS },
    pages: { signIn: "/sign-in", error: "/sign-in" },
    providers: [
      CredentialsProvider({
        name: "Username and password",
        credentials: { username: { label: "Username", type: "text" }, password: { label: "Password", type: "password" } },
        async authorize(credentials, req) {
          const ip = headerOf(req.headers, "x-client-ip") ?? "unknown";
          // The name is a limiter key: only a valid one is used as such.
          const parsed = credentialsInput.safeParse({ username: credentials?.username, password: credentials?.password });
          if (!parsed.success) {
            // Thrown messages reach the sign-in form as its error code.
            if (!(await limiter.chargeAddress(ip))) throw new Error("rate_limited");
            return null;
          }
          const verdict = await limiter.begin(ip, parsed.data.username);
          if (verdict.kind === "refuse") throw new Error("rate_limited");
          // A guesser waits longer and longer for each answer; the owner, elsewhere, does not.
          if (verdict.delayMs > 0) await sleep(verdict.delayMs);
          const user = await accounts.verify(parsed.data);
          await limiter.finish(ip, parsed.data.username, user !== null);
          return user ? { id: user.id, name: user.name } : null;
        },
      }),
    ],
    callbacks: {
      // next-auth types `user` as always there; it is only there on the request that signs in.
      async jwt({ token, user }: { token: JWT; user?: User | AdapterUser }) {
        if (user) {
          const sid = randomUUID();
          await sessions.create(sid, user.id);
          return { ...token, sub: user.id, name: user.name ?? null, sid };
        }
        const session = typeof token.sid === "string" ? await sessions.find(token.sid) : null;
        if (!session || session.userId !== token.sub) throw new SessionEnded();
        await sessions.refresh(session);
        return token;
      },
      session({ session, token }) {
        session.user = { id: token.sub ?? "", name: token.name ?? "" };
        return session;
      },
    },
    events: {
      // POST /api/auth/signout: the session ends on the server too, not only in this browser.
      async signOut({ token }) {
        if (typeof token.sid === "string") await sessions.revoke(token.sid);
      },
    },
    logger: {
      error(code, metadata) {
        // A revoked or expired session read by a page is an expected "no session", not an error.
        if (code === "JWT_SESSION_ERROR" && isSessionEnded(metadata)) return;
        console.error(`[next-auth][error][${code}]`, metadata);
      },
      warn(code) {
        console.warn(`[next-auth][warn][${code}]`);
      },
      debug() {},
    },
  };
}

/** next-auth's logger hands errors over as plain `{name, message, stack}` (or under `error`). */
function isSessionEnded(metadata: unknown): boolean {
  const named = (x: unknown) => (x as { name?: unknown } | null)?.name === "SessionEnded";
  return named(metadata) || named((metadata as { error?: unknown } | null)?.error);
}

function headerOf(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== "object") return undefined;
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === "string" ? value : undefined;
}
