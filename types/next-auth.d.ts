import "next-auth";
import "next-auth/jwt";

declare module "next-auth" {
  interface Session {
    user: { id: string; name: string };
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    /** Per sign-in session id; see server/auth/auth-options.ts. */
    sid?: string;
  }
}
