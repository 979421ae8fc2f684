import { describe, expect, it } from "vitest";
import { expectedOrigin, handshakeOriginAllowed, originOf, sameOriginRequest } from "@/server/http/origin";
import { checkRequest, mediaType } from "@/server/http/request-gate";

const host = { host: "chat.example:3000" };

describe("origins: scheme, host and port", () => {
  it("normalises an origin and refuses what is not one", () => {
    expect(originOf("HTTP://Chat.Example:80/path?q")).toBe("http://chat.example");
    expect(originOf("https://chat.example:443")).toBe("https://chat.example");
    for (const bad of ["null", "", "chat.example", "ftp://chat.example", "javascript:alert(1)"]) expect(originOf(bad)).toBeNull();
  });

  it("without PUBLIC_ORIGIN the app is where the browser asked for it, over http", () => {
    expect(expectedOrigin(null, host)).toBe("http://chat.example:3000");
    expect(expectedOrigin("https://chat.example", host)).toBe("https://chat.example");
    expect(expectedOrigin(null, {})).toBeNull();
  });

  it("a handshake from another scheme, host or port is refused; one with no Origin (not a browser) is not", () => {
    expect(handshakeOriginAllowed({ ...host, origin: "http://chat.example:3000" }, null)).toBe(true);
    expect(handshakeOriginAllowed(host, null)).toBe(true);
    for (const origin of ["https://chat.example:3000", "http://chat.example:3001", "http://evil.example:3000", "null", "garbage"]) {
      expect([origin, handshakeOriginAllowed({ ...host, origin }, null)]).toEqual([origin, false]);
    }
    // Behind a TLS proxy: the configured public origin, not the Host the node sees.
    expect(handshakeOriginAllowed({ host: "127.0.0.1:3000", origin: "https://chat.example" }, "https://chat.example")).toBe(true);
    expect(handshakeOriginAllowed({ host: "127.0.0.1:3000", origin: "http://chat.example" }, "https://chat.example")).toBe(false);
  });

  it("a state-changing request needs its Origin, or Sec-Fetch-Site: same-origin", () => {
    expect(sameOriginRequest({ ...host, origin: "http://chat.example:3000" }, null)).toBe(true);
    expect(sameOriginRequest({ ...host, "sec-fetch-site": "same-origin" }, null)).toBe(true);
    expect(sameOriginRequest({ ...host, "sec-fetch-site": "same-site" }, null)).toBe(false);
    expect(sameOriginRequest(host, null)).toBe(false);
    expect(sameOriginRequest({ ...host, origin: "http://chat.example:3000", "sec-fetch-site": "cross-site" }, null)).toBe(true);
  });
});

describe("the request gate", () => {
  const ok = { host: "a:1", origin: "http://a:1" };
  const req = (method: string, url: string, headers: Record<string, string>) => checkRequest({ method, url, headers }, null);

  it("bodies must announce a length of at most 16 KiB, on every method and path", () => {
    expect(req("GET", "/", { ...ok, "content-length": "16385" })?.status).toBe(413);
    expect(req("POST", "/anything", { ...ok, "content-length": "99999999999999999999" })?.status).toBe(413);
    expect(req("POST", "/api/register", { ...ok, "content-length": "abc" })?.status).toBe(413);
    expect(req("POST", "/api/register", { ...ok, "transfer-encoding": "chunked", "content-type": "application/json" })?.status).toBe(411);
    expect(req("GET", "/", { ...ok, "content-length": "16384" })).toBeNull();
  });

  it("state-changing requests come from the app's pages, with the media type their route reads", () => {
    expect(req("POST", "/api/register", { host: "a:1", "content-type": "application/json" })?.status).toBe(403);
    expect(req("POST", "/api/register", { ...ok, "content-type": "text/plain" })?.status).toBe(415);
    expect(req("POST", "/api/register?x=1", { ...ok, "content-type": "Application/JSON; charset=utf-8" })).toBeNull();
    expect(req("POST", "/api/auth/callback/credentials", { ...ok, "content-type": "application/json" })?.status).toBe(415);
    expect(req("POST", "/api/auth/signout", { ...ok, "content-type": "application/x-www-form-urlencoded" })).toBeNull();
    expect(req("DELETE", "/api/register", { host: "a:1" })?.status).toBe(403);
    expect(req("GET", "/api/register", { host: "a:1" })).toBeNull();
  });

  it("reads a media type as browsers write it", () => {
    expect(mediaType(" application/json ; charset=UTF-8")).toBe("application/json");
    expect(mediaType(undefined)).toBe("");
  });
});
