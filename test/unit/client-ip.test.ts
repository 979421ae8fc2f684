import { describe, expect, it } from "vitest";
import { clientAddress, parseTrustedProxies } from "@/server/http/client-ip";

describe("the client's address behind trusted proxies", () => {
  const proxies = parseTrustedProxies("127.0.0.1, ::1, 10.0.0.0/8");

  it("is the direct peer when no proxy is trusted, whatever X-Forwarded-For says", () => {
    expect(clientAddress("203.0.113.9", "6.6.6.6", null)).toBe("203.0.113.9");
    expect(clientAddress("127.0.0.1", "6.6.6.6", null)).toBe("127.0.0.1");
    expect(clientAddress("::ffff:203.0.113.9", undefined, null)).toBe("203.0.113.9");
  });

  it("ignores X-Forwarded-For from a peer that is not a trusted proxy", () => {
    expect(clientAddress("203.0.113.9", "6.6.6.6", proxies)).toBe("203.0.113.9");
  });

  it("takes the right-most untrusted hop from a trusted proxy; entries the client wrote further left are not believed", () => {
    expect(clientAddress("127.0.0.1", "198.51.100.7", proxies)).toBe("198.51.100.7");
    expect(clientAddress("::ffff:127.0.0.1", "6.6.6.6, 198.51.100.7", proxies)).toBe("198.51.100.7");
    expect(clientAddress("127.0.0.1", "6.6.6.6, 198.51.100.7, 10.1.2.3", proxies)).toBe("198.51.100.7");
    expect(clientAddress("::1", ["6.6.6.6", "2001:db8::1"], proxies)).toBe("2001:db8::1");
  });

  it("falls back to the proxy itself when the header is missing or malformed", () => {
    expect(clientAddress("127.0.0.1", undefined, proxies)).toBe("127.0.0.1");
    expect(clientAddress("127.0.0.1", "not-an-ip", proxies)).toBe("127.0.0.1");
    expect(clientAddress("127.0.0.1", "198.51.100.7, garbage", proxies)).toBe("127.0.0.1");
  });

  it("refuses a list entry that is not an address or range", () => {
    expect(() => parseTrustedProxies("127.0.0.1, proxy.example")).toThrow(/not an IP address/);
    expect(() => parseTrustedProxies("10.0.0.0/40")).toThrow(/prefix/);
    expect(parseTrustedProxies(" ")).toBeNull();
  });
});
