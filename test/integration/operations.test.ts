/**
 * Issue 10: what an operator relies on. /healthz (liveness), /readyz (readiness that turns 503 the
 * moment a stop begins, so a load balancer drains the node), /metrics (Prometheus text with the
 * figures the README promises, loopback-only unless a bearer token is configured).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ask, newKey, open, send } from "../support/client";
import { STEADY_HEARTBEAT, startTestServer, type TestServer } from "../support/test-server";

const get = (t: TestServer, path: string, headers: Record<string, string> = {}) => fetch(`${t.url}${path}`, { headers });

/** The value of one sample in Prometheus text, e.g. sample(text, 'duo_events_refused_total{event="x",code="y"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("operator endpoints", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ ...STEADY_HEARTBEAT });
  });
  afterAll(() => t.close());

  it("/healthz and /readyz answer 200 while the node runs; other methods get 405", async () => {
    const health = await get(t, "/healthz");
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true, serverId: t.server.serverId });
    const ready = await get(t, "/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, serverId: t.server.serverId });
    expect((await fetch(`${t.url}/metrics`, { method: "POST" })).status).toBe(405);
  });

  it("/metrics counts connections, users, stored messages, answer times and refusals by code", async () => {
    const [u, v] = [await t.createUser(), await t.createUser()];
    const [cu, cv] = [await t.connect(u), await t.connect(v)];
    const id = await open(cu, v.id);
    for (let i = 0; i < 5; i++) await send(cu, id, `hello ${i}`);
    await send(cv, id, "a retry is not a new message", "same-key-1");
    await send(cv, id, "a retry is not a new message", "same-key-1");
    const selfOpen = await ask(cu, "dialog:open", { peerId: u.id });
    expect(selfOpen).toEqual({ ok: false, error: "self_dialog" });
    const badSend = await ask(cu, "message:send", { dialogId: id, clientKey: newKey(), body: " " });
    expect(badSend).toEqual({ ok: false, error: "message_empty" });

    const res = await get(t, "/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    console.log(
      `metrics sample:\n${text
        .split("\n")
        .filter((l) => l.startsWith("duo_") && !l.includes("_bucket"))
        .join("\n")}`,
    );
    expect(sample(text, "duo_connections")).toBe(2);
    expect(sample(text, "duo_users_online")).toBe(2);
    expect(sample(text, "duo_open_dialogs")).toBe(1);
    expect(sample(text, "duo_ready")).toBe(1);
    expect(sample(text, "duo_messages_stored_total")).toBe(6);
    expect(sample(text, 'duo_event_answer_seconds_count{event="message:send"}')).toBe(8);
    expect(sample(text, 'duo_events_refused_total{event="dialog:open",code="self_dialog"}')).toBe(1);
    expect(sample(text, 'duo_events_refused_total{event="message:send",code="message_empty"}')).toBe(1);
    expect(sample(text, 'duo_handshakes_total{result="ok"}')).toBe(2);
    expect(sample(text, "duo_store_commit_seconds_count")).toBeGreaterThanOrEqual(1);
    expect(sample(text, "nodejs_eventloop_lag_p99_seconds")).toBeGreaterThan(0);
  });

  it("/readyz turns 503 as soon as a stop begins, while the node still answers (SHUTDOWN_DRAIN_MS)", async () => {
    const draining = await startTestServer({ ...STEADY_HEARTBEAT, SHUTDOWN_DRAIN_MS: "1500" });
    try {
      expect((await get(draining, "/readyz")).status).toBe(200);
      const stopped = draining.server.close();
      const during = await get(draining, "/readyz");
      expect(during.status).toBe(503);
      expect(await during.json()).toEqual({ ready: false, serverId: draining.server.serverId });
      expect((await get(draining, "/healthz")).status).toBe(200); // alive, just not taking new clients
      await stopped;
    } finally {
      await draining.close();
    }
  });
});

describe("/metrics with METRICS_TOKEN", () => {
  let t: TestServer;
  const token = "scrape-token-0123456789";
  beforeAll(async () => {
    t = await startTestServer({ ...STEADY_HEARTBEAT, METRICS_TOKEN: token });
  });
  afterAll(() => t.close());

  it("is refused without the bearer token (even from loopback) and served with it", async () => {
    expect((await get(t, "/metrics")).status).toBe(403);
    expect((await get(t, "/metrics", { authorization: "Bearer wrong-token-000000000" })).status).toBe(403);
    const ok = await get(t, "/metrics", { authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("duo_connections");
  });
});
