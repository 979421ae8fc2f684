// `npm run start:cluster -- --nodes 3 [--port 3000] [--no-balancer]`: N nodes on one machine sharing
// PostgreSQL (DATABASE_URL) and Redis (REDIS_URL), behind HAProxy on PORT (./load-balancer.mjs): one
// URL for every client, WebSocket upgrades passed through, health checks on each node's /readyz, so a
// crashed or stopping node's clients reconnect to another node and catch up there. The nodes listen
// on PORT+1..PORT+N (loopback unless HOST says otherwise). --no-balancer runs the nodes alone, on
// PORT..PORT+N-1, for a balancer of your own.
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { ensureBuild } from "./build-if-stale.mjs";
import { haproxyMissing, startLoadBalancer } from "./load-balancer.mjs";

const CHECK_INTERVAL_MS = 1000;

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "3" },
    port: { type: "string", default: process.env.PORT ?? "3000" },
    "no-balancer": { type: "boolean", default: false },
  },
});
const nodes = Number(values.nodes);
const first = Number(values.port);
const balanced = !values["no-balancer"];
if (!Number.isInteger(nodes) || nodes < 1 || nodes > 32) {
  console.error("--nodes must be a whole number from 1 to 32");
  process.exit(1);
}
const db = process.env.DATABASE_URL ?? "";
const redis = process.env.REDIS_URL ?? "";
if (!/^postgres(ql)?:\/\//.test(db) || !/^rediss?:\/\//.test(redis)) {
  console.error(
    "Several nodes share their state through PostgreSQL and Redis. Set both, e.g.\n" +
      "  DATABASE_URL=postgresql://postgres@127.0.0.1:5432/duo REDIS_URL=redis://127.0.0.1:6379 npm run start:cluster -- --nodes 3",
  );
  process.exit(1);
}
const missing = balanced ? haproxyMissing() : null;
if (missing) {
  console.error(`${missing}\nOr run the nodes alone with --no-balancer and put a balancer of your own in front.`);
  process.exit(1);
}

ensureBuild();
const host = process.env.HOST ?? "127.0.0.1";
const nodePort = (i) => (balanced ? first + 1 + i : first + i);
const children = [];
for (let i = 0; i < nodes; i++) {
  const child = spawn(process.execPath, ["dist/server/index.js"], {
    stdio: "inherit",
    env: {
      NEXT_TELEMETRY_DISABLED: "1",
      // A stopping node answers 503 on /readyz this long before it closes, so the balancer
      // (checking every second, two failures to mark it down) stops sending it new clients first.
      ...(balanced ? { SHUTDOWN_DRAIN_MS: String(2 * CHECK_INTERVAL_MS + 500) } : {}),
      // HAProxy connects from loopback on every client's behalf and says who the client is in
      // X-Forwarded-For; the nodes believe that only from it (per-address sign-in limits).
      ...(balanced ? { TRUSTED_PROXIES: "127.0.0.1, ::1" } : {}),
      ...process.env,
      PORT: String(nodePort(i)),
    },
  });
  children.push(child);
  child.on("exit", (code) => console.log(`node ${i} (port ${nodePort(i)}) exited with ${code}`));
}
if (balanced) {
  const lb = startLoadBalancer({
    host,
    port: first,
    backends: children.map((_, i) => `${host === "0.0.0.0" ? "127.0.0.1" : host}:${nodePort(i)}`),
    checkIntervalMs: CHECK_INTERVAL_MS,
  });
  children.push(lb);
  lb.on("exit", (code) => console.log(`the load balancer (HAProxy, port ${first}) exited with ${code}`));
  console.log(`started ${nodes} nodes on ports ${nodePort(0)}..${nodePort(nodes - 1)} behind HAProxy on http://${host}:${first}`);
} else {
  console.log(`started ${nodes} nodes on ports ${first}..${first + nodes - 1} (no balancer)`);
}
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    stopping = true;
    for (const c of children) c.kill("SIGTERM");
  });
}
await Promise.all(children.map((c) => new Promise((r) => c.on("exit", r))));
process.exit(stopping ? 0 : 1);
