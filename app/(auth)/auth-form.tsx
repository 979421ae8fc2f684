"use client";

import { signIn } from "next-auth/react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useRef, useState, type SyntheticEvent } from "react";
import { LIMITS } from "@/lib/contract/limits";
import { passwordSchema, usernameSchema } from "@/lib/contract/schemas";

const SIGN_IN_ERRORS: Record<string, string> = {
  CredentialsSignin: "Wrong username or password.",
  rate_limited: "Too many attempts. Wait a minute and try again.",
};

type Field = "username" | "password";
type FieldErrors = Partial<Record<Field, string>>;

const RULES: Record<Field, string> = {
  username: `${LIMITS.usernameMinChars}–${LIMITS.usernameMaxChars} characters: letters, digits, dot, dash or underscore.`,
  password: `At least ${LIMITS.passwordMinChars} characters.`,
};

/**
 * The rules, checked in words before anything is sent (the browser's own tooltips are off: they cover
 * the hint and vanish). Sign-up applies the account rules; sign-in only asks for both fields.
 */
function check(mode: "sign-in" | "sign-up", username: string, password: string): FieldErrors {
  const errors: FieldErrors = {};
  if (mode === "sign-in") {
    if (username.trim() === "") errors.username = "Enter your username.";
    if (password === "") errors.password = "Enter your password.";
    return errors;
  }
  const name = usernameSchema.safeParse(username);
  if (!name.success) errors.username = name.error.issues[0]?.message ?? RULES.username;
  const pass = passwordSchema.safeParse(password);
  if (!pass.success) errors.password = pass.error.issues[0]?.message ?? RULES.password;
  return errors;
}

interface ServerIssue {
  path?: unknown[];
  message?: string;
}

export function AuthForm({ mode }: { mode: "sign-in" | "sign-up" }) {
  const router = useRouter();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const refs = { username: useRef<HTMLInputElement>(null), password: useRef<HTMLInputElement>(null) };
  const signUp = mode === "sign-up";

  /** Shows the problems under their fields and puts focus on the first, keeping what was typed. */
  function refuse(errors: FieldErrors) {
    setFieldErrors(errors);
    const first = (["username", "password"] as const).find((f) => errors[f]);
    if (first) refs[first].current?.focus();
  }

  async function submit(e: SyntheticEvent<HTMLFormElement>) {
    e.preventDefault();
    if (busy) return;
    setError(null);
    const errors = check(mode, username, password);
    if (Object.keys(errors).length > 0) {
      refuse(errors);
      return;
    }
    setFieldErrors({});
    setBusy(true);
    try {
      if (signUp) {
        const res = await fetch("/api/register", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ username, password }),
        });
        if (!res.ok) {
          const body = (await res.json().catch(() => ({}))) as { error?: string; message?: string; issues?: ServerIssue[] };
          const byField: FieldErrors = {};
          for (const issue of body.issues ?? []) {
            const field = issue.path?.[0];
            if ((field === "username" || field === "password") && !byField[field]) byField[field] = issue.message;
          }
          if (body.error === "taken") byField.username = body.message;
          if (Object.keys(byField).length > 0) refuse(byField);
          else {
            setError(body.message ?? `Sign-up failed (${res.status}).`);
            refs.username.current?.focus();
          }
          return;
        }
      }
      const result = await signIn("credentials", { username, password, redirect: false });
      if (!result || result.error) {
        setError(SIGN_IN_ERRORS[result?.error ?? ""] ?? "Sign-in failed. Please try again.");
        // Back to the form, on the field most likely wrong, with what was typed selected for retyping.
        refs.password.current?.focus();
        refs.password.current?.select();
        return;
      }
      router.replace("/");
      router.refresh();
    } catch {
      setError("The server cannot be reached. Check your connection and try again.");
      refs.username.current?.focus();
    } finally {
      setBusy(false);
    }
  }

  const field = (name: Field, label: string, input: { type?: string; autoComplete: string; autoFocus?: boolean }) => {
    const value = name === "username" ? username : password;
    const setValue = name === "username" ? setUsername : setPassword;
    const problem = fieldErrors[name];
    const describedBy = [signUp ? `${name}-rule` : null, problem ? `${name}-error` : null].filter(Boolean).join(" ");
    return (
      <div className="field">
        <label htmlFor={name}>{label}</label>
        <input
          ref={refs[name]}
          id={name}
          name={name}
          type={input.type ?? "text"}
          autoComplete={input.autoComplete}
          autoFocus={input.autoFocus}
          value={value}
          onChange={(e) => setValue(e.target.value)}
          aria-invalid={problem ? true : undefined}
          aria-describedby={describedBy || undefined}
          spellCheck={false}
        />
        {signUp && (
          <p id={`${name}-rule`} className="hint">
            {RULES[name]}
          </p>
        )}
        {problem && (
          <p id={`${name}-error`} className="field-error">
            {problem}
          </p>
        )}
      </div>
    );
  };

  return (
    <main className="auth">
      <form className="auth-card" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="auth-title">
        <h1 className="brand-title">Duo</h1>
        <h2 id="auth-title">{signUp ? "Create account" : "Sign in"}</h2>
        <p className="muted">{signUp ? "Create an account to start chatting." : "Sign in to see who is online."}</p>
        {field("username", "Username", { autoComplete: "username", autoFocus: true })}
        {field("password", "Password", { type: "password", autoComplete: signUp ? "new-password" : "current-password" })}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" aria-disabled={busy}>
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
