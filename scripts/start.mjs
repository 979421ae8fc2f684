// `npm start`: build the pages if the sources changed, then run the server (Next + Socket.IO, one port).
import { spawn } from "node:child_process";
import { ensureBuild } from "./build-if-stale.mjs";

ensureBuild();
const child = spawn("npx", ["--no-install", "tsx", "server/index.ts"], { stdio: "inherit", env: { NEXT_TELEMETRY_DISABLED: "1", ...process.env } });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
