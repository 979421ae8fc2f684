// HAProxy in front of the nodes: one URL for every client, WebSocket upgrades passed through, and a
// node taken out of rotation as soon as its /readyz says 503 (stopping) or stops answering (crashed),
// so its clients reconnect to another node and catch up there.
//
// `node scripts/load-balancer.mjs --port 3000 --backend 127.0.0.1:3001 --backend 127.0.0.1:3002`
// runs HAProxy in the foreground until SIGINT/SIGTERM; start-cluster.mjs uses startLoadBalancer().
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

export const HAPROXY = process.env.HAPROXY_PATH ?? "/usr/sbin/haproxy";

/** Null when HAProxy can run here; otherwise what to do about it. */
export function haproxyMissing() {
  const r = spawnSync(HAPROXY, ["-v"], { stdio: "ignore" });
  if (r.status === 0) return null;
  return `HAProxy was not found at ${HAPROXY}. Install it (Debian/Ubuntu: apt-get install -y haproxy) or set HAPROXY_PATH.`;
}

/**
 * @param {{ host?: string; port: number; backends: string[]; checkIntervalMs?: number }} o
 * @returns {string} the configuration
 */
export function haproxyConfig({ host = "127.0.0.1", port, backends, checkIntervalMs = 1000 }) {
  const servers = backends.map((b, i) => `  server node${i} ${b} check`);
  // No global maxconn: HAProxy sizes it from the file-descriptor limit it is given (ulimit -n).
  return `global

defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  # Once a WebSocket is upgraded, only this applies: longer than the app's heartbeat (ping every few seconds).
  timeout tunnel 1h
  timeout http-request 10s
  # A connection refused by a dead node goes to another one instead of failing the client.
  option redispatch
  retries 2
  option forwardfor

frontend duo
  bind ${host}:${port}
  default_backend nodes

backend nodes
  # Long-lived WebSockets: send new ones where there are fewest.
  balance leastconn
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter ${checkIntervalMs} fastinter ${Math.max(100, Math.round(checkIntervalMs / 2))} fall 2 rise 2
${servers.join("\n")}
`;
}

/**
 * Starts HAProxy in the foreground with that configuration; resolves with the child once it has started.
 * @param {{ host?: string; port: number; backends: string[]; checkIntervalMs?: number; stdio?: "inherit" | "ignore" }} o
 */
export function startLoadBalancer(o) {
  const dir = mkdtempSync(join(tmpdir(), "duo-lb-"));
  const file = join(dir, "haproxy.cfg");
  writeFileSync(file, haproxyConfig(o));
  const child = spawn(HAPROXY, ["-db", "-f", file], { stdio: ["ignore", o.stdio ?? "inherit", o.stdio ?? "inherit"] });
  child.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return child;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "3000" },
      backend: { type: "string", multiple: true, default: [] },
      "check-interval-ms": { type: "string", default: "1000" },
    },
  });
  const missing = haproxyMissing();
  if (missing) {
    console.error(missing);
    process.exit(1);
  }
  if (values.backend.length === 0) {
    console.error("give at least one --backend host:port");
    process.exit(1);
  }
  const child = startLoadBalancer({
    host: values.host,
    port: Number(values.port),
    backends: values.backend,
    checkIntervalMs: Number(values["check-interval-ms"]),
  });
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill("SIGTERM"));
  child.on("exit", (code) => process.exit(code ?? 0));
}
