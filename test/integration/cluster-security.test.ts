/**
 * Limits and sessions across nodes (PostgreSQL + Redis): a sign-out on one node ends the session's
 * sockets on the others and its cookie opens nothing on any node; sign-out everywhere reaches every
 * node; one user's event bucket is shared, so spreading a flood over nodes buys nothing. Runs when
 * DATABASE_URL (PostgreSQL) and REDIS_URL point at live services (.ci/run sets both).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "../../lib/client/request";
import { clusterServices, startCluster, type Cluster } from "../support/cluster";
import type { ClientSocket } from "../support/test-server";

const services = clusterServices();
if ("skip" in services) console.warn(`cluster-security.test.ts: skipped (${services.skip})`);

const ended = (s: ClientSocket) => new Promise<string>((resolve) => s.once("disconnect", (reason) => resolve(reason)));

describe.skipIf("skip" in services)("sessions and limits across nodes (PostgreSQL + Redis)", () => {
  let c: Cluster;
  beforeAll(async () => {
    if ("skip" in services) return;
    c = await startCluster(2, services, { HEARTBEAT_INTERVAL_MS: "3000", HEARTBEAT_TIMEOUT_MS: "3000" });
  }, 60_000);
  afterAll(async () => {
    if ("skip" in services) return;
    await c.close();
  }, 30_000);

  const refusedOn = async (node: number, user: Awaited<ReturnType<Cluster["createUser"]>>) =>
    c.connect(node, user).then(
      (conn) => {
        conn.socket.disconnect();
        return "connected";
      },
      (err: unknown) => (err as { data?: { code?: string } }).data?.code,
    );

  it("signing out on one node ends the session's tabs on the other, and its cookie opens nothing on either", async () => {
    const a = await c.createUser();
    const [here, there] = [await c.connect(0, a), await c.connect(1, a)];
    const gone = [ended(here.socket), ended(there.socket)];
    expect(await request(here.socket, "session:signout", {}, 5000)).toEqual({ ok: true });
    expect(await Promise.all(gone)).toEqual(["io server disconnect", "io server disconnect"]);
    expect([await refusedOn(0, a), await refusedOn(1, a)]).toEqual(["unauthorized", "unauthorized"]);
  });

  it("signing out everywhere on one node reaches the person's tabs on every node", async () => {
    const b = await c.createUser();
    const tabs = [await c.connect(0, b), await c.connect(1, b), await c.connect(1, b)];
    const gone = tabs.map((t) => ended(t.socket));
    expect(await request(tabs[1]!.socket, "session:signout-everywhere", {}, 5000)).toEqual({ ok: true, sessions: 1 });
    expect(await Promise.all(gone)).toEqual(["io server disconnect", "io server disconnect", "io server disconnect"]);
    expect(await refusedOn(0, b)).toBe("unauthorized");
  });

  it("one user's event bucket is shared by every node: a flood spread over two nodes gets one bucket's worth", async () => {
    const [d, peer] = [await c.createUser(), await c.createUser()];
    const [n0, n1] = [await c.connect(0, d), await c.connect(1, d)];
    await c.connect(0, peer);
    const opened = await request(n0.socket, "dialog:open", { peerId: peer.id }, 5000);
    if (!opened.ok) throw new Error(opened.error);
    const replies = await Promise.all(
      Array.from({ length: 160 }, (_, i) =>
        request(
          i % 2 ? n1.socket : n0.socket,
          "message:send",
          { dialogId: opened.dialog.id, clientKey: `spread-${i}-key`, body: `m${i}` },
          20_000,
        ),
      ),
    );
    const ok = replies.filter((r) => r.ok).length;
    // 60 in the bucket, less two connections and the open (4 each); a few more come back meanwhile.
    console.log(`flood over two nodes: ${ok} of 160 accepted (one bucket: 48 + refill)`);
    expect(ok).toBeGreaterThanOrEqual(40);
    expect(ok).toBeLessThan(80);
    expect(new Set(replies.flatMap((r) => (r.ok ? [] : [r.error])))).toEqual(new Set(["rate_limited"]));
  });
});
