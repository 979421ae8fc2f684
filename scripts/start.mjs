// `npm start`: build if anything changed, then run the compiled server (Next + Socket.IO on one port)
// in this very process: one node process, which receives the signals itself. In production, build
// once (`npm run build`) and run `node dist/server/index.js` directly.
import { ensureBuild } from "./build-if-stale.mjs";

process.env.NEXT_TELEMETRY_DISABLED ??= "1";
ensureBuild();
await import("../dist/server/index.js");
