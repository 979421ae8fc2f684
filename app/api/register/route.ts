/** Sign-up: 201 with the new user, 422 with field issues, 409 for a taken name, 429 when too fast. */
import { NextResponse } from "next/server";
import { getServices } from "@/server/services";

export const dynamic = "force-dynamic";

export async function POST(req: Request): Promise<Response> {
  const { accounts, signUpLimiter } = getServices();
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    return NextResponse.json({ error: "invalid_json", message: "The request body must be JSON." }, { status: 400 });
  }
  const ip = req.headers.get("x-client-ip") ?? "unknown";
  const name = typeof (body as { username?: unknown })?.username === "string" ? (body as { username: string }).username : "";
  if (!(await signUpLimiter.allow(ip, name))) {
    return NextResponse.json({ error: "rate_limited", message: "Too many attempts. Wait a minute and try again." }, { status: 429 });
  }
  const result = await accounts.register(body);
  if (result.ok) return NextResponse.json({ user: result.user }, { status: 201 });
  if (result.error === "taken") {
    return NextResponse.json({ error: "taken", message: "That username is taken. Choose another." }, { status: 409 });
  }
  return NextResponse.json({ error: "invalid", message: result.issues[0]?.message ?? "Invalid input.", issues: result.issues }, { status: 422 });
}
