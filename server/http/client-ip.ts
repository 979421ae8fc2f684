/**
 * The client's address, for per-address limits and logs. A load balancer or reverse proxy connects
 * on every client's behalf, so behind one every client would share its address (and one person's
 * guessing would lock out everyone). When the direct peer is a proxy the operator listed in
 * TRUSTED_PROXIES, the client is the right-most X-Forwarded-For entry that is not itself a trusted
 * proxy; entries further left were written by the client and are never believed. Anyone else's
 * X-Forwarded-For is ignored.
 */
import { BlockList, isIP } from "node:net";

export type ProxyList = BlockList | null;

/** "127.0.0.1, ::1, 10.0.0.0/8" -> a matcher; null when empty. Throws on an entry that is not an address or range. */
export function parseTrustedProxies(spec: string | undefined): ProxyList {
  const entries = (spec ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) return null;
  const list = new BlockList();
  for (const entry of entries) {
    const [address = "", bits] = entry.split("/");
    const family = isIP(address);
    if (family === 0) throw new Error(`"${entry}" is not an IP address or CIDR range`);
    const type = family === 6 ? "ipv6" : "ipv4";
    if (bits === undefined) list.addAddress(address, type);
    else {
      const prefix = Number(bits);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32))
        throw new Error(`"${entry}" has a bad prefix length`);
      list.addSubnet(address, prefix, type);
    }
  }
  return list;
}

/** IPv4-mapped IPv6 (::ffff:1.2.3.4, as Node reports IPv4 peers on a dual-stack socket) as plain IPv4. */
const plain = (address: string) => (address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address);

function trusted(list: BlockList, address: string): boolean {
  const a = plain(address);
  const family = isIP(a);
  return family !== 0 && list.check(a, family === 6 ? "ipv6" : "ipv4");
}

export function clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, proxies: ProxyList): string {
  const direct = peer ? plain(peer) : "unknown";
  if (!proxies || !peer || !trusted(proxies, peer)) return direct;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : (forwardedFor ?? ""))
    .split(",")
    .map((h) => h.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = plain(hops[i] ?? "");
    if (isIP(hop) === 0) return direct; // a malformed entry ends what can be believed
    if (!trusted(proxies, hop)) return hop;
  }
  return hops.length > 0 ? plain(hops[0] ?? direct) : direct;
}
