"use client";

import { signIn } from "next-auth/react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { LIMITS } from "@/lib/contract/limits";

const SIGN_IN_ERRORS: Record<string, string> = {
  CredentialsSignin: "Wrong username or password.",
  rate_limited: "Too many attempts. Wait a minute and try again.",
};

export function AuthForm({ mode }: { mode: "sign-in" | "sign-up" }) {
  const router = useRouter();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mode === "sign-up") {
        const res = await fetch("/api/register", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ username, password }),
        });
        if (!res.ok) {
          const body = (await res.json().catch(() => ({}))) as { message?: string };
          setError(body.message ?? `Sign-up failed (${res.status}).`);
          return;
        }
      }
      const result = await signIn("credentials", { username, password, redirect: false });
      if (!result || result.error) {
        setError(SIGN_IN_ERRORS[result?.error ?? ""] ?? "Sign-in failed. Please try again.");
        return;
      }
      router.replace("/");
      router.refresh();
    } catch {
      setError("The server cannot be reached. Check your connection and try again.");
    } finally {
      setBusy(false);
    }
  }

  const signUp = mode === "sign-up";
  return (
    <main className="auth">
      <form className="auth-card" onSubmit={submit} aria-label={signUp ? "Create account" : "Sign in"}>
        <h1>Duo</h1>
        <p className="muted">{signUp ? "Create an account to start chatting." : "Sign in to see who is online."}</p>
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            minLength={LIMITS.usernameMinChars}
            maxLength={LIMITS.usernameMaxChars}
            required
            autoFocus
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={signUp ? "new-password" : "current-password"}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            minLength={signUp ? LIMITS.passwordMinChars : 1}
            maxLength={LIMITS.passwordMaxChars}
            required
          />
        </label>
        {signUp && (
          <p className="hint">
            {LIMITS.usernameMinChars}–{LIMITS.usernameMaxChars} letters, digits, dot, dash or underscore; password at least{" "}
            {LIMITS.passwordMinChars} characters.
          </p>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? "Please wait…" : signUp ? "Create account" : "Sign in"}
        </button>
        <p className="switch">
          {signUp ? (
            <>
              Have an account? <Link href="/sign-in">Sign in</Link>
            </>
          ) : (
            <>
              New here? <Link href="/sign-up">Create an account</Link>
            </>
          )}
        </p>
      </form>
    </main>
  );
}
