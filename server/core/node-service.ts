/**
 * One node of the messenger, as one service: this node's connections arrive and leave, dialogs are
 * opened and restored, browser sessions end, and the cluster's ordered events are applied to the
 * replica and carried out for this node's own clients. What keeps it converging after faults lives in
 * ./convergence.ts. Socket.IO, Redis and storage sit behind the ports (./node-ports.ts,
 * ./cluster-bus.ts); time comes from the injected clock, and the service never sets a timer: it says
 * when it wants `tick()` (Wakeups) and the adapter calls it.
 */
import type { ClusterBus, ClusterEvent, Snapshot } from "./cluster-bus";
import { Convergence } from "./convergence";
import { EndedSessions } from "./ended-sessions";
import { ReplicaEffects } from "./replica-effects";
import type { Dialog } from "./dialogs";
import type { Messenger, OpenError } from "./messenger";
import type { ConversationStore, DialogSummary, LocalClients, Log, Wakeups } from "./node-ports";
import type { Clock, ConnectionId, UserId, UserProfile } from "./types";

export interface NodePorts {
  bus: ClusterBus;
  store: ConversationStore;
  clients: LocalClients;
  wakeups: Wakeups;
  clock: Clock;
  /** Unique ids (for matching this node's proposals with their events). */
  newId: () => string;
  log: Log;
}

export interface NodeServiceOptions {
  /**
   * The longest a presence change waits before this node's clients are told. A batch goes out sooner
   * once changes have stopped for `presenceQuietMs` (default: the same): a single login is seen at
   * once, while a login storm costs every client one batch per `presenceBatchMs`, not one per
   * quiet gap. Each batch is one packet to every client, so their number is what a storm costs.
   */
  presenceBatchMs: number;
  presenceQuietMs?: number;
  /** After the shared state was lost, how long every node has to assert its users (NODE_TTL_MS). */
  rebuildWindowMs: number;
}

export type OpenDialogResult = { ok: true; dialog: DialogSummary; created: boolean } | { ok: false; error: OpenError };

type Applied = { dialog: Dialog; created: boolean };

/** A proposal whose event was lost and whose dialog no snapshot shows after this long is given up. */
const PROPOSAL_GIVE_UP_MS = 10_000;

interface Proposal {
  a: UserId;
  b: UserId;
  at: number;
  resolve: (result: Applied | null) => void;
}

export class NodeService {
  private readonly arrivals = new Map<UserId, Promise<void>>();
  private readonly proposals = new Map<string, Proposal>();
  private readonly convergence: Convergence;
  /** Browser sessions signing out: their sockets' departures skip the grace period. */
  private readonly ended: EndedSessions;
  private readonly effects: ReplicaEffects;
  private flushAt: number | null = null;
  /** When the first unsent presence change happened, and the feed's version when last looked at. */
  private firstChangeAt: number | null = null;
  private seenVersion = 0;
  private wakeAt: number | null = null;
  /** Everyone available, cached until the next presence flush: the snapshot every new client gets. */
  private snapshotCache: UserProfile[] | null = null;
  private stopped = false;

  constructor(
    readonly messenger: Messenger,
    private readonly ports: NodePorts,
    private readonly options: NodeServiceOptions,
  ) {
    this.ended = new EndedSessions(ports.clock);
    this.effects = new ReplicaEffects(messenger, ports);
    this.convergence = new Convergence(
      {
        applyEvent: (event) => this.apply(event),
        applySnapshot: (snapshot) => this.applySnapshot(snapshot),
        localUsers: () => messenger.localUsers(),
        replicaTotals: () => ({ users: messenger.stats().availableUsers, dialogs: messenger.stats().openDialogs }),
        catchUpClients: () => ports.clients.catchUp(),
        wakeChanged: () => this.changed(),
      },
      ports,
      options,
    );
  }

  /** Joins the cluster: starts applying its events, beginning with the shared state now. */
  async start(): Promise<void> {
    const { bus, log } = this.ports;
    const snapshot = await bus.start({
      event: (event, at) => {
        this.convergence.event(event, at);
        this.changed();
      },
      checkIn: (report) => {
        this.convergence.checkIn(report);
        this.changed();
      },
      relinked: () => {
        bus.requestCatchUp().catch((err: unknown) => log.error({ err }, "could not ask the cluster's clients to catch up"));
      },
    });
    this.convergence.start(snapshot);
    this.changed();
  }

  /**
   * A client connected here. Returns its welcome: who is available (the shared snapshot, the same
   * array for every welcome until the next presence batch, so an adapter can encode it once; it may
   * hold the user) and their open dialogs.
   */
  connect(user: UserProfile, connectionId: ConnectionId): { users: readonly UserProfile[]; dialogs: DialogSummary[] } {
    const { cameOnline, dialogs } = this.messenger.connect(user, connectionId);
    if (cameOnline) this.arrive(user);
    const welcome = {
      users: this.snapshot(),
      dialogs: dialogs.map((d) => this.effects.summary(d, user.id)),
    };
    this.changed();
    return welcome;
  }

  /** A client went away. A signed-out session's last client takes the user away at once, without grace. */
  disconnect(userId: UserId, connectionId: ConnectionId, sessionId: string): { signedOut: boolean } {
    const signedOut = this.ended.has(sessionId);
    const left = this.messenger.disconnect(userId, connectionId, signedOut);
    if (left) this.leave(left);
    this.changed();
    return { signedOut };
  }

  /** Resolves once the cluster knows this user arrived here (their own requests come after it). */
  ready(userId: UserId): Promise<void> {
    return this.arrivals.get(userId) ?? Promise.resolve();
  }

  /** Opens (or finds) the requester's dialog with a peer, cluster-wide. */
  async openDialog(requesterId: UserId, peerId: UserId): Promise<OpenDialogResult> {
    await this.ready(requesterId);
    const { messenger, ports } = this;
    const plan = messenger.planOpen(requesterId, peerId);
    if (plan.kind === "refused") return { ok: false, error: plan.error };
    if (plan.kind === "existing") return { ok: true, dialog: this.effects.summary(plan.dialog, requesterId), created: false };
    const id = await ports.store.ensure(requesterId, peerId);
    // Checkpoint first, so a restart restores it; a refused proposal leaves a stale flag that the
    // next restart's restore clears (its members are held, then torn down if absent).
    await ports.store.setOpen([id], true);
    const result = await this.propose(id, requesterId, peerId);
    if (!result) {
      await ports.store.setOpen([id], false);
      // Refused in the event order: say why, as it stands now.
      const now = messenger.planOpen(requesterId, peerId);
      return { ok: false, error: now.kind === "refused" ? now.error : "peer_unavailable" };
    }
    return { ok: true, dialog: this.effects.summary(result.dialog, requesterId), created: result.created };
  }

  /**
   * A browser session signed out: every node ends its clients at once, and the user leaves without
   * grace. Takes effect here at once (even if the bus is down), then on every other node.
   */
  endSession(userId: UserId, sessionId: string): Promise<void> {
    this.ended.remember(sessionId);
    this.ports.clients.endSession(userId, sessionId);
    return this.ports.bus.sessionEnded(userId, sessionId);
  }

  /** Re-opens the dialogs that were open when the service last stopped. */
  async restoreOpenDialogs(): Promise<number> {
    const { messenger, ports } = this;
    let open = await ports.store.listOpen();
    if (ports.bus.coldStart()) {
      // The whole service is starting: every member gets time to come back.
      for (const c of open) {
        for (const member of [c.a, c.b]) {
          if (!messenger.isAvailable(member.id) && messenger.hold(member)) await ports.bus.userArrived(member);
        }
      }
    } else {
      // Other nodes kept running: a dialog whose member is gone is a stale record, not a live dialog.
      const stale = open.filter((c) => !messenger.isAvailable(c.a.id) || !messenger.isAvailable(c.b.id));
      await ports.store.setOpen(
        stale.map((c) => c.id),
        false,
      );
      open = open.filter((c) => !stale.includes(c));
    }
    for (const c of open) await this.propose(c.id, c.a.id, c.b.id);
    this.changed();
    if (open.length > 0) ports.log.info({ dialogs: open.length }, "restored open dialogs; absent members have RESTORE_GRACE_MS to return");
    return open.length;
  }

  /** Time-based work, at the moment asked for through Wakeups: departures after grace, presence flushes. */
  tick(): void {
    if (this.stopped) return;
    this.wakeAt = null; // the wake-up that called us is spent
    for (const user of this.messenger.expire()) this.leave(user);
    this.convergence.tick();
    if (this.flushAt !== null && this.flushAt <= this.ports.clock.now()) this.flush();
    this.changed();
  }

  /**
   * Who is available, for a new client's welcome. Cached between flushes, so a login storm does not
   * rebuild the list per connection: any change since is still in the feed, and the next batch (which
   * carries each touched user's final state) brings the client up to date.
   */
  snapshot(): readonly UserProfile[] {
    this.snapshotCache ??= this.messenger.available();
    return this.snapshotCache;
  }

  /** Stops time-based work (the node is shutting down). */
  stop(): void {
    this.stopped = true;
    this.ports.wakeups.wakeAt(null);
  }

  private apply(event: ClusterEvent): void {
    const { messenger } = this;
    switch (event.t) {
      case "online":
        messenger.applyOnline(event.user);
        break;
      case "offline": {
        const teardown = messenger.applyOffline(event.userId);
        if (teardown) this.effects.tornDown(teardown);
        break;
      }
      case "dialog": {
        const result = messenger.applyDialog(event.id, event.a, event.b);
        if (result?.created) this.effects.opened(result.dialog);
        this.proposals.get(event.op)?.resolve(result);
        break;
      }
      case "session-ended":
        this.ended.remember(event.sessionId);
        this.ports.clients.endSession(event.userId, event.sessionId);
        break;
      case "catch-up":
        this.ports.clients.catchUp();
        break;
    }
  }

  /** The replica jumps to the shared state: carried out as the missed events would have been. */
  private applySnapshot(snapshot: Snapshot): void {
    const repair = this.messenger.resetReplica(snapshot.users, snapshot.dialogs);
    this.effects.repaired(repair);
    // Proposals whose event was in what this node missed: the snapshot has their outcome.
    const now = this.ports.clock.now();
    const opened = new Set(repair.opened);
    for (const [op, p] of this.proposals) {
      const plan = this.messenger.planOpen(p.a, p.b);
      if (plan.kind === "existing") p.resolve({ dialog: plan.dialog, created: opened.has(plan.dialog) });
      else if (now - p.at > PROPOSAL_GIVE_UP_MS) p.resolve(null);
      else continue;
      this.proposals.delete(op);
    }
  }

  private async propose(id: string, a: UserId, b: UserId): Promise<Applied | null> {
    const op = this.ports.newId();
    const applied = new Promise<Applied | null>((resolve) => this.proposals.set(op, { a, b, at: this.ports.clock.now(), resolve }));
    try {
      if (!(await this.ports.bus.proposeDialog({ t: "dialog", id, a, b, op }))) return null;
      return await applied;
    } finally {
      this.proposals.delete(op);
    }
  }

  private arrive(user: UserProfile): void {
    const p = this.ports.bus
      .userArrived(user)
      .catch((err: unknown) => this.ports.log.error({ err, userId: user.id }, "could not announce arrival"));
    this.arrivals.set(user.id, p);
    void p.then(() => {
      if (this.arrivals.get(user.id) === p) this.arrivals.delete(user.id);
    });
  }

  private leave(user: UserProfile): void {
    this.ports.bus
      .userLeft(user.id)
      .catch((err: unknown) => this.ports.log.error({ err, userId: user.id }, "could not announce departure"));
  }

  private flush(): void {
    this.flushAt = null;
    this.firstChangeAt = null;
    const batch = this.messenger.feed.drain();
    if (!batch) return;
    // A snapshot is only valid with the batches after it: rebuild it on the next welcome.
    this.snapshotCache = null;
    this.ports.clients.presenceChanged(batch);
  }

  /** Call after anything that may have changed presence or deadlines: asks for the next wake-up. */
  private changed(): void {
    if (this.stopped) return;
    const { feed } = this.messenger;
    if (feed.version !== this.seenVersion) {
      this.seenVersion = feed.version;
      if (!feed.isEmpty) {
        const now = this.ports.clock.now();
        this.firstChangeAt ??= now;
        const { presenceBatchMs, presenceQuietMs = presenceBatchMs } = this.options;
        this.flushAt = Math.min(this.firstChangeAt + presenceBatchMs, now + presenceQuietMs);
      }
    }
    const due = [this.flushAt, this.messenger.nextWakeAt(), this.convergence.nextWakeAt()].filter((t) => t !== null);
    const next = due.length === 0 ? null : Math.min(...due);
    if (next === this.wakeAt) return;
    this.wakeAt = next;
    this.ports.wakeups.wakeAt(next);
  }
}
