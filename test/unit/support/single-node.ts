/**
 * One node, wired as production wires it (server/realtime/create-realtime.ts with the LocalBus of
 * server/realtime/cluster-bus.ts), minus Socket.IO and storage:
 *
 * - a connection that makes the user come online here is announced: event `online` -> applyOnline;
 * - a disconnect or an expiry that makes the user leave here is announced: event `offline` ->
 *   applyOffline, whose teardown is what production carries out for the sockets;
 * - opening a dialog is planOpen, then (for "create") a proposal: event `dialog` -> applyDialog;
 * - restoring open dialogs after a restart holds each absent member (announced like an arrival), then
 *   proposes each dialog.
 *
 * The bus is synchronous and in call order, like LocalBus. Every event it applied is kept in `events`,
 * so a test can replay the same order into another replica.
 */
import { Messenger, type Dialog, type OpenError, type Teardown } from "@/server/core/messenger";
import type { ClusterEvent } from "@/server/realtime/cluster-bus";
import type { UserProfile } from "@/server/core/types";

export interface SingleNodeOptions {
  graceMs: number;
  maxDialogsPerUser?: number;
  restoreGraceMs?: number;
  /** Clock start. */
  startAt?: number;
}

/** What the dialog:open handler answers (server/realtime/handlers.ts). */
export type OpenResult = { ok: true; dialog: Dialog; created: boolean } | { ok: false; error: OpenError };

export interface Conversation {
  id: string;
  a: UserProfile;
  b: UserProfile;
}

/** The stored conversation id of a pair: one per pair, the same from either side. */
export const conversationId = (x: string, y: string): string => `conv:${[x, y].sort().join(":")}`;

export class SingleNode {
  readonly clock: { t: number; now(): number };
  readonly messenger: Messenger;
  /** Every event the bus applied, in order. */
  readonly events: ClusterEvent[] = [];
  private ops = 0;
  private readonly maxDialogsPerUser: number;

  constructor(options: SingleNodeOptions) {
    this.maxDialogsPerUser = options.maxDialogsPerUser ?? 10;
    const clock = { t: options.startAt ?? 0, now: (): number => clock.t };
    this.clock = clock;
    this.messenger = new Messenger({
      clock,
      graceMs: options.graceMs,
      maxDialogsPerUser: this.maxDialogsPerUser,
      ...(options.restoreGraceMs === undefined ? {} : { restoreGraceMs: options.restoreGraceMs }),
    });
  }

  get now(): number {
    return this.clock.t;
  }

  advance(ms: number): void {
    this.clock.t += ms;
  }

  /** The bus: applies each event at once, as LocalBus does, and returns what the replica decided. */
  apply(event: Extract<ClusterEvent, { t: "online" }>): void;
  apply(event: Extract<ClusterEvent, { t: "offline" }>): Teardown | null;
  apply(event: Extract<ClusterEvent, { t: "dialog" }>): { dialog: Dialog; created: boolean } | null;
  apply(event: ClusterEvent): unknown {
    this.events.push(event);
    switch (event.t) {
      case "online":
        return this.messenger.applyOnline(event.user);
      case "offline":
        return this.messenger.applyOffline(event.userId);
      case "dialog":
        return this.messenger.applyDialog(event.id, event.a, event.b);
    }
  }

  /** A socket connected: returns what the core answered (the welcome's dialogs come from it). */
  connect(profile: UserProfile, connectionId: string): { cameOnline: boolean; dialogs: Dialog[] } {
    const result = this.messenger.connect(profile, connectionId);
    if (result.cameOnline) this.apply({ t: "online", user: profile });
    return result;
  }

  /** A socket disconnected (`immediate`: sign-out). `left`: the core's answer; `teardown`: the replica's. */
  disconnect(userId: string, connectionId: string, immediate = false): { left: UserProfile | null; teardown: Teardown | null } {
    const left = this.messenger.disconnect(userId, connectionId, immediate);
    return { left, teardown: left ? this.apply({ t: "offline", userId: left.id }) : null };
  }

  /** The presence pump woke up. */
  expire(): { left: UserProfile[]; teardowns: Teardown[] } {
    const left = this.messenger.expire();
    const teardowns: Teardown[] = [];
    for (const user of left) {
      const t = this.apply({ t: "offline", userId: user.id });
      if (t) teardowns.push(t);
    }
    return { left, teardowns };
  }

  /** Proposes a dialog through the bus (the second half of an open, after the conversation is stored). */
  propose(id: string, a: string, b: string): { dialog: Dialog; created: boolean } | null {
    return this.apply({ t: "dialog", id, a, b, op: `op-${++this.ops}` });
  }

  /** The dialog:open handler, with no await in between: plan, then propose. */
  open(requesterId: string, peerId: string, id = conversationId(requesterId, peerId)): OpenResult {
    const plan = this.messenger.planOpen(requesterId, peerId);
    if (plan.kind === "refused") return { ok: false, error: plan.error };
    if (plan.kind === "existing") return { ok: true, dialog: plan.dialog, created: false };
    const result = this.propose(id, requesterId, peerId);
    return result ? { ok: true, ...result } : { ok: false, error: "peer_unavailable" };
  }

  /** restoreOpenDialogs: holds the absent members of every conversation, then proposes each dialog. */
  restore(...open: Conversation[]): ({ dialog: Dialog; created: boolean } | null)[] {
    for (const c of open) {
      for (const member of [c.a, c.b]) {
        if (!this.messenger.isAvailable(member.id) && this.messenger.hold(member)) this.apply({ t: "online", user: member });
      }
    }
    return open.map((c) => this.propose(c.id, c.a.id, c.b.id));
  }

  /**
   * A fresh replica (another node: different clock, no local connections, same cluster-wide settings)
   * that applied the same events in the same order.
   */
  replay(into = new Messenger({ clock: { now: () => -1 }, graceMs: 1, maxDialogsPerUser: this.maxDialogsPerUser })): Messenger {
    for (const event of this.events) {
      if (event.t === "online") into.applyOnline(event.user);
      else if (event.t === "offline") into.applyOffline(event.userId);
      else into.applyDialog(event.id, event.a, event.b);
    }
    return into;
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
