/**
 * The one home of the cluster's repair logic: keeps this node's replica, and the shared record of this
 * node's users, converging to the truth after any single fault.
 *
 * - Events are applied in log order exactly once: a repeat is skipped, a jump (a lost event, or a log
 *   trimmed while this node stalled) makes the node resync from a snapshot of the shared state,
 *   buffering what arrives meanwhile.
 * - Every heartbeat's check-in is compared with the replica: cluster-wide totals that differ at the
 *   same position, or a replica that stays behind the log, also make the node resync.
 * - When the shared record of this node's users differs from what the node reported (it was declared
 *   dead while stalled, a report failed, Redis lost it), the node asserts its users again.
 * - A new epoch means the shared state was lost (Redis restarted empty): every node asserts its users
 *   at once; when the epoch is one rebuild window old (every live node has had time to do the same),
 *   the node re-opens the stored open dialogs whose members are available and resyncs.
 * - After every resync this node's clients catch up on messages, since broadcasts may have been lost
 *   with the events.
 */
import type { ClusterBus, ClusterEvent, Position, Snapshot } from "./cluster-bus";
import type { ConversationStore, Log } from "./node-ports";
import type { Clock, UserProfile } from "./types";

export interface ConvergenceHost {
  /** Carries out one event of the log. */
  applyEvent(event: ClusterEvent): void;
  /** Makes the replica equal to the snapshot and carries out the difference. */
  applySnapshot(snapshot: Snapshot): void;
  localUsers(): UserProfile[];
  replicaTotals(): Totals;
  catchUpClients(): void;
  /** The moment `nextWakeAt` answers may have changed. */
  wakeChanged(): void;
}

export interface ConvergenceOptions {
  /** How long after the shared state was lost the nodes have to assert their users (NODE_TTL_MS). */
  rebuildWindowMs: number;
}

interface Totals {
  users: number;
  dialogs: number;
}

/** Check-ins in a row that may find the replica behind the log before it resyncs (a stuck reader). */
const MAX_BEHIND = 3;
/** Positions whose totals are kept, to compare with a check-in taken a little earlier. */
const HISTORY = 256;
const RETRY_MS = 1000;

export class Convergence {
  private position: Position | null = null;
  private readonly history = new Map<number, Totals>();
  /** Events that arrive before the start, or while a resync is in flight; non-null exactly then. */
  private buffer: [ClusterEvent, Position][] | null = [];
  private resyncing = false;
  private rebuildAt: number | null = null;
  private behind = 0;
  private resyncOwed = false;

  constructor(
    private readonly host: ConvergenceHost,
    private readonly ports: { bus: ClusterBus; store: ConversationStore; clock: Clock; log: Log },
    private readonly options: ConvergenceOptions,
  ) {}

  /** The state the bus started from. */
  start(snapshot: Snapshot): void {
    this.reset(snapshot);
    const early = this.buffer ?? [];
    this.buffer = null;
    for (const [event, at] of early) this.event(event, at);
  }

  event(event: ClusterEvent, at: Position): void {
    if (this.buffer) this.buffer.push([event, at]);
    else this.accept(event, at, true);
  }

  checkIn(report: { position: Position; epochAgeMs: number; membershipMatches: boolean } & Totals): void {
    const pos = this.position;
    if (!pos || report.position.epoch < pos.epoch) return; // not started, or a report from before a resync
    if (report.position.epoch > pos.epoch) {
      this.enterEpoch(report.position.epoch, report.epochAgeMs);
      this.position = { epoch: report.position.epoch, seq: 0 };
      return;
    }
    if (!report.membershipMatches) this.assertUsers("this node's users differ in the shared state");
    if (this.rebuildAt !== null || this.buffer) return;
    if (pos.seq >= report.position.seq) {
      this.behind = 0;
      const then = this.history.get(report.position.seq);
      if (then && (then.users !== report.users || then.dialogs !== report.dialogs)) {
        void this.resync("the replica's totals differ from the shared state's", { replica: then, shared: report });
        return;
      }
    } else if (++this.behind >= MAX_BEHIND) {
      void this.resync("the replica stays behind the log", { at: pos.seq, log: report.position.seq });
      return;
    }
    if (this.resyncOwed) void this.resync("retrying a failed resync", {});
  }

  /** When the rebuild after a lost shared state is due. */
  nextWakeAt(): number | null {
    return this.rebuildAt;
  }

  tick(): void {
    if (this.rebuildAt === null || this.rebuildAt > this.ports.clock.now()) return;
    this.rebuildAt = null;
    void this.rebuild();
  }

  private accept(event: ClusterEvent, at: Position, mayResync: boolean): void {
    const pos = this.position;
    if (!pos || at.epoch < pos.epoch) return;
    if (at.epoch > pos.epoch) this.enterEpoch(at.epoch, 0);
    else if (at.seq <= pos.seq)
      return; // applied already (a repeat after a resync or a reconnect)
    else if (at.seq > pos.seq + 1 && this.rebuildAt === null && mayResync) {
      this.buffer = [[event, at]];
      void this.resync("events were missed", { at: pos.seq, next: at.seq });
      return;
    }
    this.position = at;
    this.host.applyEvent(event);
    this.record();
  }

  private enterEpoch(epoch: string, ageMs: number): void {
    this.ports.log.warn({ epoch, ageMs }, "the shared state was lost (new epoch): asserting this node's users, then rebuilding");
    this.rebuildAt = this.ports.clock.now() + Math.max(0, this.options.rebuildWindowMs - ageMs);
    this.assertUsers("new epoch");
    this.host.wakeChanged();
  }

  private async rebuild(): Promise<void> {
    try {
      const open = await this.ports.store.listOpen();
      await this.ports.bus.restoreDialogs(open.map((c) => ({ id: c.id, a: c.a.id, b: c.b.id })));
      await this.resync("the shared state was rebuilt", { storedOpenDialogs: open.length });
    } catch (err) {
      this.ports.log.error({ err }, "rebuild failed; retrying");
      this.rebuildAt = this.ports.clock.now() + RETRY_MS;
      this.host.wakeChanged();
    }
  }

  private async resync(reason: string, context: object): Promise<void> {
    if (this.resyncing) return;
    this.resyncing = true;
    this.buffer ??= [];
    this.ports.log.warn({ ...context, reason }, "resyncing the replica from the shared state");
    let ok = true;
    try {
      this.reset(await this.ports.bus.snapshot());
      this.host.catchUpClients();
    } catch (err) {
      this.ports.log.error({ err }, "resync failed; retrying at the next check-in");
      this.resyncOwed = true;
      ok = false;
    }
    const buffered = this.buffer;
    this.buffer = null;
    this.resyncing = false;
    for (const [event, at] of buffered) {
      // After a failed snapshot they are applied as they come, gaps and all, until the retry.
      if (ok) this.event(event, at);
      else this.accept(event, at, false);
    }
  }

  private reset(snapshot: Snapshot): void {
    this.position = snapshot.position;
    this.behind = 0;
    this.resyncOwed = false;
    this.history.clear();
    this.host.applySnapshot(snapshot);
    this.record();
  }

  private assertUsers(reason: string): void {
    const users = this.host.localUsers();
    this.ports.log.warn({ reason, users: users.length }, "asserting this node's users");
    this.ports.bus.assertUsers(users).catch((err: unknown) => this.ports.log.error({ err }, "could not assert this node's users"));
  }

  private record(): void {
    if (!this.position) return;
    this.history.set(this.position.seq, this.host.replicaTotals());
    if (this.history.size > HISTORY) this.history.delete(this.history.keys().next().value as number);
  }
}
