/**
 * Same-origin checks for browsers' requests: the WebSocket handshake and every state-changing HTTP
 * request. An origin is scheme, host and port together: `http://chat.example` (or a page on another
 * port) is not `https://chat.example`. Behind a reverse proxy the node sees plain HTTP and the proxy's
 * Host, so the public origin is configured (PUBLIC_ORIGIN, else NEXTAUTH_URL); without it the app
 * expects browsers to reach it directly, at http:// and the request's Host.
 */
export type HeaderBag = Record<string, string | string[] | undefined>;

/** The origin a same-site browser request carries, or null when none can be trusted. */
export function expectedOrigin(publicOrigin: string | null, headers: HeaderBag): string | null {
  if (publicOrigin) return publicOrigin;
  const host = headers.host;
  if (typeof host !== "string" || host === "") return null;
  return originOf(`http://${host}`);
}

/** `value` as a normalised origin (lower-case host, default port dropped), or null if it is not one. */
export function originOf(value: string): string | null {
  if (value === "null") return null;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.origin : null;
  } catch {
    return null;
  }
}

/** The request's Origin is exactly the app's. */
export function fromOwnOrigin(headers: HeaderBag, publicOrigin: string | null): boolean {
  const origin = headers.origin;
  if (typeof origin !== "string") return false;
  const expected = expectedOrigin(publicOrigin, headers);
  return expected !== null && originOf(origin) === expected;
}

/**
 * A WebSocket handshake may open: from the app's own origin, or with no Origin at all (not a
 * browser, so it cannot be carrying a browser's cookies for another site's page).
 */
export function handshakeOriginAllowed(headers: HeaderBag, publicOrigin: string | null): boolean {
  return headers.origin === undefined || fromOwnOrigin(headers, publicOrigin);
}

/**
 * A state-changing request comes from a page of this app: a same-origin Origin, or (for a browser
 * that sends no Origin) `Sec-Fetch-Site: same-origin`. Anything else, no header at all included, is
 * refused: a client that is not a browser must say where it comes from.
 */
export function sameOriginRequest(headers: HeaderBag, publicOrigin: string | null): boolean {
  if (headers.origin !== undefined) return fromOwnOrigin(headers, publicOrigin);
  return headers["sec-fetch-site"] === "same-origin";
}
