/**
 * The real node service (server/core/node-service.ts) on one node, with its real one-node bus
 * (server/core/local-bus.ts), a fake clock and in-memory fakes of the ports it has no pure version of:
 * stored conversations, this node's clients, the wake-up timer. Every call goes to the service; what
 * it did is read back from the ports (events on the bus, notices to clients, stored flags) and, for
 * the tests' convenience, summed up in the shapes the core uses (who left, which dialogs were torn down).
 */
import { LocalBus } from "@/server/core/local-bus";
import type { BusListener, ClusterEvent, Snapshot } from "@/server/core/cluster-bus";
import { pairKey } from "@/server/core/dialogs";
import { Messenger, type Dialog, type OpenError, type Teardown } from "@/server/core/messenger";
import type { ConversationStore, DialogClosedNotice, DialogSummary, LocalClients } from "@/server/core/node-ports";
import { NodeService } from "@/server/core/node-service";
import type { PresenceBatch } from "@/server/core/presence-feed";
import type { UserProfile } from "@/server/core/types";

export interface TestNodeOptions {
  graceMs: number;
  maxDialogsPerUser?: number;
  restoreGraceMs?: number;
  /** Clock start. */
  startAt?: number;
  /** Presence batching; by default longer than any test, so tests can drain the feed themselves. */
  presenceBatchMs?: number;
  /** A batch goes out once changes stopped this long (default: presenceBatchMs). */
  presenceQuietMs?: number;
}

export interface Conversation {
  id: string;
  a: UserProfile;
  b: UserProfile;
}

/** What dialog:open answers, with the dialog as the replica holds it. */
export type OpenResult = { ok: true; dialog: Dialog; created: boolean } | { ok: false; error: OpenError };

/** The stored conversation id of a pair: one per pair, the same from either side. */
export const conversationId = (x: string, y: string): string => `conv:${[x, y].sort().join(":")}`;

/** The one-node bus, recording every event it applied and every departure reported to it. */
export class RecordingBus extends LocalBus {
  readonly events: ClusterEvent[] = [];
  readonly departures: string[] = [];

  override start(listener: BusListener): Promise<Snapshot> {
    return super.start({
      ...listener,
      event: (event, at) => {
        this.events.push(event);
        listener.event(event, at);
      },
    });
  }

  override userLeft(userId: string): Promise<void> {
    this.departures.push(userId);
    return super.userLeft(userId);
  }
}

/** Stored conversations in memory; `pause()` holds `ensure` to let other things happen in between. */
export class MemoryStore implements ConversationStore {
  readonly rows = new Map<string, { a: UserProfile; b: UserProfile; open: boolean }>();
  private readonly byPair = new Map<string, string>();
  private gate: Promise<void> | null = null;

  constructor(private readonly profile: (id: string) => UserProfile) {}

  /** Gives the pair this conversation id (as if created earlier), unless it has one. */
  assign(x: string, y: string, id: string): void {
    if (this.byPair.has(pairKey(x, y))) return;
    this.byPair.set(pairKey(x, y), id);
    this.rows.set(id, { a: this.profile(x), b: this.profile(y), open: false });
  }

  put(c: Conversation, open: boolean): void {
    this.rows.set(c.id, { a: c.a, b: c.b, open });
    if (!this.byPair.has(pairKey(c.a.id, c.b.id))) this.byPair.set(pairKey(c.a.id, c.b.id), c.id);
  }

  isOpen(id: string): boolean {
    return this.rows.get(id)?.open ?? false;
  }

  /** Holds every `ensure` until the returned function is called. */
  pause(): () => void {
    let release = () => {};
    this.gate = new Promise((resolve) => (release = resolve));
    return () => {
      this.gate = null;
      release();
    };
  }

  async ensure(x: string, y: string): Promise<string> {
    if (this.gate) await this.gate;
    this.assign(x, y, conversationId(x, y));
    return this.byPair.get(pairKey(x, y)) ?? "";
  }

  async setOpen(ids: string[], open: boolean): Promise<void> {
    for (const id of ids) {
      const row = this.rows.get(id);
      if (row) row.open = open;
    }
  }

  async listOpen(): Promise<Conversation[]> {
    return [...this.rows].filter(([, r]) => r.open).map(([id, r]) => ({ id, a: r.a, b: r.b }));
  }
}

/** This node's clients, as a record of what the service told them. */
export class RecordingClients implements LocalClients {
  readonly opened: { userId: string; dialog: DialogSummary }[] = [];
  readonly closed: { dialogId: string; notices: readonly DialogClosedNotice[] }[] = [];
  readonly presence: PresenceBatch[] = [];
  readonly endedSessions: string[] = [];
  catchUps = 0;

  dialogOpened(userId: string, dialog: DialogSummary): void {
    this.opened.push({ userId, dialog });
  }
  dialogClosed(dialogId: string, notices: readonly DialogClosedNotice[]): void {
    this.closed.push({ dialogId, notices });
  }
  presenceChanged(batch: PresenceBatch): void {
    this.presence.push(batch);
  }
  endSession(_userId: string, sessionId: string): void {
    this.endedSessions.push(sessionId);
  }
  catchUp(): void {
    this.catchUps++;
  }
}

const unknownDialog = (id: string): Dialog => ({ id, members: ["?", "?"] });

export class TestNode {
  readonly clock: { t: number; now(): number };
  readonly messenger: Messenger;
  readonly bus = new RecordingBus();
  readonly clients = new RecordingClients();
  readonly store: MemoryStore;
  readonly service: NodeService;
  /** The moment the service last asked to be woken at. */
  wakeAt: number | null = null;
  private readonly profiles = new Map<string, UserProfile>();
  /** Each connection's browser session: a new one per connect (signing in again is a new session). */
  private readonly sessions = new Map<string, string>();
  private readonly maxDialogsPerUser: number;
  private ids = 0;

  /** A node that has joined its (one-node) cluster. */
  static async start(options: TestNodeOptions): Promise<TestNode> {
    const node = new TestNode(options);
    await node.service.start();
    return node;
  }

  private constructor(options: TestNodeOptions) {
    this.maxDialogsPerUser = options.maxDialogsPerUser ?? 10;
    const clock = { t: options.startAt ?? 0, now: (): number => clock.t };
    this.clock = clock;
    this.messenger = new Messenger({
      clock,
      graceMs: options.graceMs,
      maxDialogsPerUser: this.maxDialogsPerUser,
      ...(options.restoreGraceMs === undefined ? {} : { restoreGraceMs: options.restoreGraceMs }),
    });
    this.store = new MemoryStore((id) => this.profiles.get(id) ?? { id, name: id });
    const silent = { info() {}, warn() {}, error() {} };
    this.service = new NodeService(
      this.messenger,
      {
        bus: this.bus,
        store: this.store,
        clients: this.clients,
        wakeups: { wakeAt: (at) => (this.wakeAt = at) },
        clock,
        newId: () => `op-${++this.ids}`,
        log: silent,
      },
      {
        presenceBatchMs: options.presenceBatchMs ?? 1e12,
        ...(options.presenceQuietMs !== undefined ? { presenceQuietMs: options.presenceQuietMs } : {}),
        rebuildWindowMs: 1000,
      },
    );
  }

  /** Every event the bus applied, in order. */
  get events(): ClusterEvent[] {
    return this.bus.events;
  }

  get now(): number {
    return this.clock.t;
  }

  advance(ms: number): void {
    this.clock.t += ms;
  }

  /** A socket connected. `cameOnline`: it was announced; `dialogs`: its welcome's dialogs. */
  connect(profile: UserProfile, connectionId: string): { cameOnline: boolean; dialogs: Dialog[] } {
    this.profiles.set(profile.id, profile);
    this.sessions.set(connectionId, `session-${++this.ids}`);
    const before = this.events.length;
    const { dialogs } = this.service.connect(profile, connectionId);
    const cameOnline = this.events.slice(before).some((e) => e.t === "online" && e.user.id === profile.id);
    return { cameOnline, dialogs: dialogs.map((d) => this.messenger.dialogFor(profile.id, d.id) ?? unknownDialog(d.id)) };
  }

  /**
   * A socket disconnected; `immediate`: its browser session signed out first. `left`: the user left
   * this node now; `teardown`: what the replica tore down for it.
   */
  disconnect(userId: string, connectionId: string, immediate = false): { left: UserProfile | null; teardown: Teardown | null } {
    const sessionId = this.sessions.get(connectionId) ?? "no-session";
    const r = this.observe(() => {
      if (immediate) void this.service.endSession(userId, sessionId);
      this.service.disconnect(userId, connectionId, sessionId);
    });
    return { left: r.left[0] ?? null, teardown: r.teardowns[0] ?? null };
  }

  /** The wake-up timer fired (and is spent). */
  wake(): void {
    this.wakeAt = null;
    this.service.tick();
  }

  /** The wake-up timer fired: who left, and what it tore down. */
  expire(): { left: UserProfile[]; teardowns: Teardown[] } {
    return this.observe(() => this.wake());
  }

  /** The dialog:open request; `id` is the stored conversation's id if the pair has none yet. */
  async open(requesterId: string, peerId: string, id?: string): Promise<OpenResult> {
    if (id !== undefined) this.store.assign(requesterId, peerId, id);
    const result = await this.service.openDialog(requesterId, peerId);
    if (!result.ok) return result;
    const dialog = this.messenger.dialogFor(requesterId, result.dialog.id) ?? unknownDialog(result.dialog.id);
    return { ok: true, dialog, created: result.created };
  }

  /** restoreOpenDialogs with these conversations stored as open; the dialog each pair has after it. */
  async restore(...open: Conversation[]): Promise<({ dialog: Dialog; created: boolean } | null)[]> {
    for (const c of open) {
      this.profiles.set(c.a.id, c.a);
      this.profiles.set(c.b.id, c.b);
      this.store.put(c, true);
    }
    const before = this.clients.opened.length;
    await this.service.restoreOpenDialogs();
    const opened = new Set(this.clients.opened.slice(before).map((o) => o.dialog.id));
    return open.map((c) => {
      const plan = this.messenger.planOpen(c.a.id, c.b.id);
      return plan.kind === "existing" ? { dialog: plan.dialog, created: plan.dialog.id === c.id && opened.has(c.id) } : null;
    });
  }

  /**
   * A fresh replica (another node: different clock, no local connections, same cluster-wide settings)
   * that applied the same events in the same order.
   */
  replay(into = new Messenger({ clock: { now: () => -1 }, graceMs: 1, maxDialogsPerUser: this.maxDialogsPerUser })): Messenger {
    for (const event of this.events) {
      if (event.t === "online") into.applyOnline(event.user);
      else if (event.t === "offline") into.applyOffline(event.userId);
      else if (event.t === "dialog") into.applyDialog(event.id, event.a, event.b);
    }
    return into;
  }

  /** Runs `act` and reads back who left this node and what each departure tore down. */
  private observe(act: () => void): { left: UserProfile[]; teardowns: Teardown[] } {
    const dialogs = new Map<string, Dialog>();
    for (const u of this.messenger.available()) for (const d of this.messenger.dialogsOf(u.id)) dialogs.set(d.id, d);
    const [events, departures, closed] = [this.events.length, this.bus.departures.length, this.clients.closed.length];
    act();
    const profile = (id: string) => this.profiles.get(id) ?? { id, name: id };
    const left = this.bus.departures.slice(departures).map(profile);
    const teardowns = this.events.slice(events).flatMap((e) =>
      e.t === "offline"
        ? [
            {
              user: profile(e.userId),
              dialogs: this.clients.closed
                .slice(closed)
                .filter((c) => c.notices.some((n) => n.to === e.userId && n.reason === "you_offline"))
                .map((c) => dialogs.get(c.dialogId) ?? unknownDialog(c.dialogId)),
            },
          ]
        : [],
    );
    return { left, teardowns };
  }
}

/** The replica's observable state, for comparing two replicas. */
export function replicaState(m: Messenger, users: readonly string[]) {
  return {
    available: m.available(),
    dialogs: Object.fromEntries(users.map((u) => [u, m.dialogsOf(u)])),
    stats: { availableUsers: m.stats().availableUsers, openDialogs: m.stats().openDialogs, usersWithDialogs: m.stats().usersWithDialogs },
  };
}
