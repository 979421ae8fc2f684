// `npm run start:cluster -- --nodes 3 [--port 3000]`: N nodes on one machine, ports PORT..PORT+N-1,
// sharing PostgreSQL (DATABASE_URL) and Redis (REDIS_URL). Clients use WebSocket only, so any node
// can serve any client and no sticky sessions are needed; put a plain TCP/HTTP balancer in front.
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { ensureBuild } from "./build-if-stale.mjs";

const { values } = parseArgs({ options: { nodes: { type: "string", default: "3" }, port: { type: "string", default: process.env.PORT ?? "3000" } } });
const nodes = Number(values.nodes);
const first = Number(values.port);
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

ensureBuild();
const children = [];
for (let i = 0; i < nodes; i++) {
  const child = spawn("npx", ["--no-install", "tsx", "server/index.ts"], {
    stdio: "inherit",
    env: { NEXT_TELEMETRY_DISABLED: "1", ...process.env, PORT: String(first + i) },
  });
  children.push(child);
  child.on("exit", (code) => console.log(`node ${i} (port ${first + i}) exited with ${code}`));
}
console.log(`started ${nodes} nodes on ports ${first}..${first + nodes - 1}`);
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    stopping = true;
    for (const c of children) c.kill("SIGTERM");
  });
}
await Promise.all(children.map((c) => new Promise((r) => c.on("exit", r))));
process.exit(stopping ? 0 : 1);
