/**
 * Next attaches its own 'upgrade' listener to the HTTP server on the first page it serves, and from
 * then on it route-matches every WebSocket upgrade, Socket.IO's included: about 0.1 ms each, 8 % of
 * the server's CPU in a 2,000-user login storm (bench/, --cpu-prof). Upgrades are routed by us
 * instead: Socket.IO takes /socket.io/, and in dev mode Next's own handler gets the rest (server/index.ts).
 *
 * There is no option for this; Next keeps a flag that it has done the setup. Setting it is tied to
 * Next's internals, so a Next without that flag stops the server at start instead of quietly
 * routing every upgrade twice (test/unit/next-upgrades.test.ts).
 */
export function keepUpgradesOurs(nextApp: object): void {
  const app = nextApp as { didWebSocketSetup?: unknown };
  if (typeof app.didWebSocketSetup !== "boolean") {
    throw new Error("this Next.js version sets up WebSocket upgrades differently: review server/http/next-upgrades.ts");
  }
  app.didWebSocketSetup = true;
}
