/**
 * next-auth's routes, behind a check of what they are sent: a POST goes only to the two actions the
 * app uses (signing in with credentials, signing out), as a well-formed URL-encoded form of known,
 * bounded fields; anything else is a 400 or 404 with a reason, before next-auth parses a byte.
 */
import NextAuth from "next-auth";
import { NextRequest } from "next/server";
import { z } from "zod";
import { invalidBody, readForm } from "@/server/http/read-body";
import { getServices } from "@/server/services";

export const dynamic = "force-dynamic";

type Context = { params: Promise<{ nextauth: string[] }> };
type RouteHandler = (req: Request, ctx: Context) => Promise<Response>;

const field = z.string().max(2048);
const common = { csrfToken: z.string().min(1).max(256), callbackUrl: field.optional(), json: z.literal("true").optional() };

/** The forms next-auth/react posts, field by field. */
const FORMS: Record<string, z.ZodType> = {
  "callback/credentials": z.strictObject({
    ...common,
    // Sizes only: the rules themselves are checked at sign-in, which answers as a wrong password.
    username: z.string().max(256),
    password: z.string().max(1024),
    redirect: z.enum(["true", "false"]).optional(),
  }),
  signout: z.strictObject(common),
};

// Built per request from the services the custom server registered (see server/services.ts).
const nextAuth: RouteHandler = (req, ctx) => (NextAuth(getServices().authOptions) as RouteHandler)(req, ctx);

async function GET(req: Request, ctx: Context): Promise<Response> {
  return nextAuth(req, ctx);
}

async function POST(req: Request, ctx: Context): Promise<Response> {
  const action = (await ctx.params).nextauth.join("/");
  const schema = FORMS[action];
  if (!schema) return Response.json({ error: "not_found", message: "There is nothing to post here." }, { status: 404 });
  const form = await readForm(req);
  if (!form.ok) return form.response;
  if (!schema.safeParse(form.value.fields).success) {
    return invalidBody("invalid_form", `The form for ${action} is missing fields, has unknown ones, or has one too long.`);
  }
  // next-auth reads the body itself: hand it the checked text.
  return nextAuth(new NextRequest(req.url, { method: "POST", headers: req.headers, body: form.value.text }), ctx);
}

export { GET, POST };
