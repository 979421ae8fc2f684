/**
 * next-auth configuration: username + password (Credentials provider), JWT sessions in an httpOnly,
 * SameSite=Lax cookie. Each sign-in gets its own session id (`sid`), so signing out in one browser
 * ends that browser's sockets and leaves the user's other devices alone.
 */
import { randomUUID } from "node:crypto";
import type { AuthOptions } from "next-auth";
import credentialsModule from "next-auth/providers/credentials";
import type { Accounts } from "./accounts";
import type { SignInLimiter } from "./sign-in-limiter";

// next-auth ships CommonJS: under Node's ESM loader its default export arrives wrapped once more.
const CredentialsProvider =
  (credentialsModule as unknown as { default?: typeof credentialsModule }).default ?? credentialsModule;

export const SESSION_MAX_AGE_S = 30 * 24 * 60 * 60;

export function buildAuthOptions(deps: { accounts: Accounts; limiter: SignInLimiter; secret: string }): AuthOptions {
  return {
    secret: deps.secret,
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_S },
    pages: { signIn: "/sign-in", error: "/sign-in" },
    providers: [
      CredentialsProvider({
        name: "Username and password",
        credentials: { username: { label: "Username", type: "text" }, password: { label: "Password", type: "password" } },
        async authorize(credentials, req) {
          const username = typeof credentials?.username === "string" ? credentials.username : "";
          const ip = headerOf(req?.headers, "x-client-ip") ?? "unknown";
          // Thrown messages reach the sign-in form as its error code.
          if (!(await deps.limiter.allow(ip, username))) throw new Error("rate_limited");
          const user = await deps.accounts.verify({ username, password: credentials?.password });
          if (user) await deps.limiter.reset(ip, username);
          return user ? { id: user.id, name: user.name } : null;
        },
      }),
    ],
    callbacks: {
      jwt({ token, user }) {
        if (user) {
          token.sub = user.id;
          token.name = user.name ?? null;
          token.sid = randomUUID();
        }
        return token;
      },
      session({ session, token }) {
        session.user = { id: token.sub ?? "", name: token.name ?? "" };
        return session;
      },
    },
  };
}

function headerOf(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== "object") return undefined;
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === "string" ? value : undefined;
}
