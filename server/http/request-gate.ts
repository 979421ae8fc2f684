/**
 * Every HTTP request passes here before Next (or anything else) reads a byte of its body. Bodies are
 * small and announced: a declared length over BODY_LIMIT_BYTES is 413, a body without a declared
 * length (chunked) is 411, so no route ever buffers more than 16 KiB. State-changing requests must
 * come from the app's own pages (403) and carry the media type their route reads (415). Routes then
 * parse and validate their bodies themselves (./read-body.ts), answering 400 with a reason.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { sameOriginRequest } from "./origin";

export const BODY_LIMIT_BYTES = 16 * 1024;

/** The media type each route's POST body must have. */
const BODY_TYPES: { prefix: string; type: string }[] = [
  { prefix: "/api/register", type: "application/json" },
  // next-auth's own forms (next-auth/react posts them URL-encoded, as a browser form would).
  { prefix: "/api/auth/", type: "application/x-www-form-urlencoded" },
];

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export interface Refusal {
  status: 403 | 411 | 413 | 415;
  error: "cross_origin" | "length_required" | "too_large" | "unsupported_media_type";
  message: string;
}

export function checkRequest(req: Pick<IncomingMessage, "method" | "url" | "headers">, publicOrigin: string | null): Refusal | null {
  const { headers } = req;
  if (headers["transfer-encoding"] !== undefined) {
    return { status: 411, error: "length_required", message: "Send the body with a Content-Length." };
  }
  const length = headers["content-length"];
  if (length !== undefined && !(Number(length) <= BODY_LIMIT_BYTES)) {
    return { status: 413, error: "too_large", message: `The request body must be at most ${BODY_LIMIT_BYTES} bytes.` };
  }
  if (SAFE_METHODS.has(req.method ?? "GET")) return null;
  if (!sameOriginRequest(headers, publicOrigin)) {
    return { status: 403, error: "cross_origin", message: "This request must come from the app's own pages." };
  }
  const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
  const wanted = BODY_TYPES.find((r) => path.startsWith(r.prefix))?.type;
  if (wanted && mediaType(headers["content-type"]) !== wanted) {
    return { status: 415, error: "unsupported_media_type", message: `The request body must be ${wanted}.` };
  }
  return null;
}

/** `application/json; charset=utf-8` -> `application/json`. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";", 1)[0]?.trim().toLowerCase() ?? "";
}

/**
 * Answers a refusal at once. The unread body is discarded as it arrives (never buffered), and the
 * connection is not closed under the client while it is still sending, so it reads the answer rather
 * than a reset; a client that keeps sending past LINGER_MS is cut off.
 */
export function refuse(req: IncomingMessage, res: ServerResponse, refusal: Refusal): void {
  res.writeHead(refusal.status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify({ error: refusal.error, message: refusal.message }));
  if (req.complete) return;
  req.resume();
  const cut = setTimeout(() => req.socket.destroy(), LINGER_MS);
  cut.unref();
  req.once("end", () => clearTimeout(cut));
  req.once("close", () => clearTimeout(cut));
}

const LINGER_MS = 2000;
