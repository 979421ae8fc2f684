// Next must not route Socket.IO's upgrades (server/http/next-upgrades.ts): with the guard, serving a
// page attaches no 'upgrade' listener of Next's to the server; without it, Next would.
import { EventEmitter } from "node:events";
import next from "next";
import { describe, expect, it } from "vitest";
import { keepUpgradesOurs } from "@/server/http/next-upgrades";
import { PROJECT_ROOT } from "@/server/paths";

/** What Next does on the first request it handles, given the server the request came in on. */
const firstRequestOn = (app: object, server: EventEmitter) =>
  (app as { setupWebSocketHandler: (server: EventEmitter) => void }).setupWebSocketHandler(server);

describe("keepUpgradesOurs", () => {
  it("keeps Next from attaching an upgrade listener to the server", () => {
    const guarded = next({ dev: false, dir: PROJECT_ROOT });
    keepUpgradesOurs(guarded);
    const server = new EventEmitter();
    firstRequestOn(guarded, server);
    expect(server.listenerCount("upgrade")).toBe(0);

    // The same Next without the guard attaches one: the guard is what makes the difference.
    const unguarded = next({ dev: false, dir: PROJECT_ROOT });
    const other = new EventEmitter();
    firstRequestOn(unguarded, other);
    expect(other.listenerCount("upgrade")).toBe(1);
  });

  it("refuses a Next that does not set up upgrades the way it expects", () => {
    expect(() => keepUpgradesOurs({})).toThrow(/review server\/http\/next-upgrades.ts/);
  });
});
