/**
 * What an operator scrapes from /metrics (Prometheus text format, prom-client): connections, users,
 * messages, the server-side answer time of every event (for message:send that is the ack latency:
 * the message is stored first), refusals by error code, the store's commit time, and Node's own
 * figures (event-loop delay, heap, GC, CPU). One registry per server, so tests that start several
 * servers in one process do not mix their figures. Hot-path methods do a map lookup and an add.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ErrorCode } from "../../lib/contract/errors";

/** Live figures read at scrape time (no bookkeeping on the hot path). */
export interface MetricSources {
  /** Socket.IO connections on this node. */
  connections(): number;
  /** Users available anywhere in the cluster (this node's replica). */
  usersOnline(): number;
  /** Users connected to this node (or in their grace period here). */
  localUsers(): number;
  openDialogs(): number;
  ready(): boolean;
}

export interface Metrics {
  readonly registry: Registry;
  /** A client event was answered after `seconds`; `error` when it was refused. */
  eventAnswered(event: string, seconds: number, error: ErrorCode | null): void;
  /** The store committed a batch: how long it took and how many new messages it stored. */
  storeCommitted(seconds: number, messages: number): void;
  /** A Socket.IO handshake was accepted (null) or refused with a code. */
  handshake(refused: ErrorCode | null): void;
}

// Answer times from tens of microseconds (a cached refusal) to seconds (a stalled store).
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function createMetrics(sources: MetricSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  const registers = [registry];

  new Gauge({
    name: "duo_connections",
    help: "Socket.IO connections on this node.",
    registers,
    collect() {
      this.set(sources.connections());
    },
  });
  new Gauge({
    name: "duo_users_online",
    help: "Users available in the whole cluster.",
    registers,
    collect() {
      this.set(sources.usersOnline());
    },
  });
  new Gauge({
    name: "duo_local_users",
    help: "Users connected to this node.",
    registers,
    collect() {
      this.set(sources.localUsers());
    },
  });
  new Gauge({
    name: "duo_open_dialogs",
    help: "Open dialogs in the whole cluster.",
    registers,
    collect() {
      this.set(sources.openDialogs());
    },
  });
  new Gauge({
    name: "duo_ready",
    help: "1 while this node accepts clients, 0 once it is stopping.",
    registers,
    collect() {
      this.set(sources.ready() ? 1 : 0);
    },
  });

  const answered = new Histogram({
    name: "duo_event_answer_seconds",
    help: "Time from a client event's arrival to its answer (for message:send: the ack, after the message is stored).",
    labelNames: ["event"],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const refused = new Counter({
    name: "duo_events_refused_total",
    help: "Client events answered with an error, by event and error code.",
    labelNames: ["event", "code"],
    registers,
  });
  const messages = new Counter({
    name: "duo_messages_stored_total",
    help: "New messages stored (retries of stored ones not counted).",
    registers,
  });
  const commits = new Histogram({
    name: "duo_store_commit_seconds",
    help: "Time to commit one batch of messages.",
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const handshakes = new Counter({
    name: "duo_handshakes_total",
    help: "Socket.IO handshakes, by result (ok or the refusal's error code).",
    labelNames: ["result"],
    registers,
  });

  // Label children resolved once per label set: prom-client hashes the labels on every lookup.
  const answeredBy = new Map<string, Histogram.Internal<"event">>();
  const refusedBy = new Map<string, Counter.Internal>();
  return {
    registry,
    eventAnswered(event, seconds, error) {
      let h = answeredBy.get(event);
      if (!h) answeredBy.set(event, (h = answered.labels(event)));
      h.observe(seconds);
      if (error) {
        const key = `${event}\u0000${error}`;
        let c = refusedBy.get(key);
        if (!c) refusedBy.set(key, (c = refused.labels(event, error)));
        c.inc();
      }
    },
    storeCommitted(seconds, stored) {
      commits.observe(seconds);
      if (stored > 0) messages.inc(stored);
    },
    handshake(refusedWith) {
      handshakes.labels(refusedWith ?? "ok").inc();
    },
  };
}
