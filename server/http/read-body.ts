/**
 * Reading a route's body, bounded and checked before anything uses it. The custom server has already
 * refused bodies over BODY_LIMIT_BYTES (./request-gate.ts); the reader counts again, so a route stays
 * safe wherever it runs. A malformed body is a 400 with a reason, never an exception.
 */
import { BODY_LIMIT_BYTES } from "./request-gate";

export type BodyResult<T> = { ok: true; value: T } | { ok: false; response: Response };

const problem = (status: number, error: string, message: string): { ok: false; response: Response } => ({
  ok: false,
  response: Response.json({ error, message }, { status, headers: { "cache-control": "no-store" } }),
});

/** The body as text, at most BODY_LIMIT_BYTES of valid UTF-8. */
export async function readText(req: Request): Promise<BodyResult<string>> {
  const reader = req.body?.getReader();
  if (!reader) return { ok: true, value: "" };
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > BODY_LIMIT_BYTES) {
      await reader.cancel();
      return problem(413, "too_large", `The request body must be at most ${BODY_LIMIT_BYTES} bytes.`);
    }
    chunks.push(value);
  }
  try {
    return { ok: true, value: new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks)) };
  } catch {
    return problem(400, "invalid_encoding", "The request body must be UTF-8 text.");
  }
}

export async function readJson(req: Request): Promise<BodyResult<unknown>> {
  const text = await readText(req);
  if (!text.ok) return text;
  try {
    return { ok: true, value: JSON.parse(text.value) as unknown };
  } catch {
    return problem(400, "invalid_json", "The request body must be JSON.");
  }
}

/** An URL-encoded form as a map of its fields; a field given twice is a malformed form. */
export async function readForm(req: Request): Promise<BodyResult<{ text: string; fields: Record<string, string> }>> {
  const text = await readText(req);
  if (!text.ok) return text;
  const fields = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(text.value)) {
    if (fields.has(key)) return problem(400, "invalid_form", "A form field is given twice.");
    fields.set(key, value);
  }
  // fromEntries makes own properties (a "__proto__" field is just a field, refused by the schema).
  return { ok: true, value: { text: text.value, fields: Object.fromEntries(fields) } };
}

/** A 400 for a body of the right type but the wrong shape. */
export function invalidBody(error: string, message: string): Response {
  return problem(400, error, message).response;
}
