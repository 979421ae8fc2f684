/**
 * What the two baseline servers share: an HTTP server on HOST:PORT (127.0.0.1) answering GET /healthz
 * (so the harness starts, probes and stops them like Duo's server), and the pairing rule: users are
 * numbered, 2k talks with 2k+1. No auth, no storage.
 */
import { createServer, type Server } from "node:http";

export interface Relayed {
  dialogId: string;
  senderId: string;
  clientKey: string;
  body: string;
}

/** The peer of user `id` (2k <-> 2k+1). */
export const peerOf = (id: string): string => String(Number(id) ^ 1);

export function httpServer(): Server {
  return createServer((req, res) => {
    if (req.url === "/healthz" || req.url === "/readyz") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"ok":true}');
      return;
    }
    res.writeHead(404);
    res.end();
  });
}

export function listen(server: Server, name: string, close: () => void): void {
  const port = Number(process.env.PORT ?? 0);
  const host = process.env.HOST ?? "127.0.0.1";
  server.listen(port, host, () => {
    const addr = server.address();
    process.stdout.write(`${name} listening on ${typeof addr === "object" && addr ? `${addr.address}:${addr.port}` : String(addr)}\n`);
  });
  for (const signal of ["SIGTERM", "SIGINT"] as const)
    process.once(signal, () => {
      close();
      server.close(() => process.exit(0));
      setTimeout(() => process.exit(0), 2000).unref();
    });
}
