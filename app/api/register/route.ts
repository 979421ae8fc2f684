/**
 * Sign-up: 201 with the new user, 400 for a body that is not JSON, 422 with field issues, 409 for a
 * taken name, 429 when this address signs up too often. (The custom server has already answered
 * 411/413/403/415 for bodies that are unannounced, too large, cross-origin or not JSON.)
 */
import { NextResponse } from "next/server";
import { checkCredentials, type FieldIssues } from "@/server/auth/accounts";
import { readJson } from "@/server/http/read-body";
import { getServices } from "@/server/services";

export const dynamic = "force-dynamic";

export async function POST(req: Request): Promise<Response> {
  const { accounts, signUpLimiter } = getServices();
  const body = await readJson(req);
  if (!body.ok) return body.response;
  // Checked before the address is charged: only well-formed sign-ups cost a hash and count.
  const checked = checkCredentials(body.value);
  if (!checked.ok) return invalid(checked.issues);
  if (!(await signUpLimiter.allow(req.headers.get("x-client-ip") ?? "unknown"))) {
    return NextResponse.json({ error: "rate_limited", message: "Too many attempts. Wait a minute and try again." }, { status: 429 });
  }
  const result = await accounts.register(checked.value);
  if (result.ok) return NextResponse.json({ user: result.user }, { status: 201 });
  if (result.error === "taken") {
    return NextResponse.json({ error: "taken", message: "That username is taken. Choose another." }, { status: 409 });
  }
  return invalid(result.issues);
}

const invalid = (issues: FieldIssues) =>
  NextResponse.json({ error: "invalid", message: issues[0]?.message ?? "Invalid input.", issues }, { status: 422 });
