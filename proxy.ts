/**
 * Security headers for every page: a Content-Security-Policy with a fresh nonce per request (Next
 * puts it on its own scripts, so no inline script runs without it) and connections to the app's own
 * origin only, no framing, no sniffing.
 * Socket.IO and /healthz never reach this (the custom server answers them first).
 */
import { NextResponse, type NextRequest } from "next/server";

export function proxy(request: NextRequest) {
  const nonce = btoa(crypto.randomUUID());
  const dev = process.env.NODE_ENV === "development";
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    // React sets style attributes; no external styles are loaded.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    // The app's own origin only: its pages, its API and its WebSocket (scheme, host and port).
    `connect-src 'self'${socketOrigin(request)}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
  const headers = new Headers(request.headers);
  headers.set("x-nonce", nonce);
  // Next reads the policy from the request to find the nonce for its scripts.
  headers.set("Content-Security-Policy", csp);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("Content-Security-Policy", csp);
  return response;
}

/**
 * The WebSocket origin of the app, as the browser sees it: PUBLIC_ORIGIN (or NEXTAUTH_URL) behind a
 * proxy, else the request's own host. CSP Level 3 counts ws(s) of the same host as 'self'; naming it
 * also covers browsers that do not.
 */
function socketOrigin(request: NextRequest): string {
  const configured = process.env.PUBLIC_ORIGIN || process.env.NEXTAUTH_URL;
  if (configured) {
    try {
      return ` ${new URL(configured).origin.replace(/^http/, "ws")}`;
    } catch {
      return "";
    }
  }
  const host = request.headers.get("host") ?? "";
  // Only a plain host[:port] goes into the header (a crafted Host must not add directives).
  return /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host) ? ` ws://${host.toLowerCase()}` : "";
}

export const config = {
  matcher: [{ source: "/((?!_next/static|_next/image|favicon.ico).*)" }],
};
