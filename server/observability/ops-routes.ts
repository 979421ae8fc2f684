/**
 * The operator's endpoints, answered by the custom server before anything else sees the request:
 * - GET /healthz: liveness (the process answers); always 200 while it runs.
 * - GET /readyz: readiness for a load balancer: 200 while this node takes clients, 503 from the
 *   moment it starts stopping (SIGTERM), so the balancer sends new clients elsewhere.
 * - GET /metrics: Prometheus text. Internal figures, so only for loopback clients, or for anyone
 *   presenting `Authorization: Bearer <METRICS_TOKEN>` when that is set.
 */
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Metrics } from "./metrics";

export interface OpsState {
  serverId: string;
  ready(): boolean;
  metrics: Metrics;
  metricsToken?: string | undefined;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/** Answers the request if it is one of the operator's endpoints; returns whether it did. */
export function answerOps(req: IncomingMessage, res: ServerResponse, ops: OpsState): boolean {
  const path = req.url?.split("?", 1)[0];
  if (path !== "/healthz" && path !== "/readyz" && path !== "/metrics") return false;
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("method not allowed");
    return true;
  }
  if (path === "/healthz") {
    json(res, 200, { ok: true, serverId: ops.serverId });
  } else if (path === "/readyz") {
    const ready = ops.ready();
    json(res, ready ? 200 : 503, { ready, serverId: ops.serverId });
  } else if (!mayReadMetrics(req, ops.metricsToken)) {
    res
      .writeHead(403, { "content-type": "text/plain", "cache-control": "no-store" })
      .end("metrics are for loopback clients or a bearer token");
  } else {
    ops.metrics.registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": ops.metrics.registry.contentType, "cache-control": "no-store" }).end(text),
      () => res.writeHead(500, { "content-type": "text/plain" }).end("metrics unavailable"),
    );
  }
  return true;
}

function mayReadMetrics(req: IncomingMessage, token: string | undefined): boolean {
  if (token) {
    const given = Buffer.from(req.headers.authorization ?? "");
    const wanted = Buffer.from(`Bearer ${token}`);
    return given.length === wanted.length && timingSafeEqual(given, wanted);
  }
  return LOOPBACK.test(req.socket.remoteAddress ?? "");
}

function json(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(body));
}
