/**
 * How ONE virtual user speaks to this app — the only module of the harness that knows Duo's HTTP
 * routes and Socket.IO event contract. Everything else in bench/ talks to the `VirtualUser` below in
 * neutral words (conversation, key, presence), so another Socket.IO chat server can be benchmarked
 * by writing a module with the same exports.
 *
 *  - sign up:  POST /api/register {username, password} -> 201
 *  - sign in:  GET /api/auth/csrf (csrf cookie + token), then POST /api/auth/callback/credentials
 *              (form: csrfToken, username, password, json=true) -> `next-auth.session-token` cookie
 *  - connect:  Socket.IO over WebSocket only (light-client.ts, no socket.io-client), the session
 *              cookie on the upgrade request, no Origin
 *  - presence: `session:welcome` snapshot, then `presence:delta` {online, offline}
 *  - open:     `dialog:open` {peerId} -> ack {ok, dialog}
 *  - send:     `message:send` {dialogId, clientKey, body} -> ack {ok, message}
 *  - receive:  `message:new`; a conversation ends with `dialog:closed`
 */
import type { MessageView, PresenceDelta, DialogClosed, Welcome } from "../lib/contract/events";
import { AckTimeout, LightSocket, wsUrl, type Framing } from "./light-client";

/**
 * What a virtual user connects to: Duo itself, or one of the baselines in bench/baselines/ (no auth, no
 * storage: users are paired by id, 2k with 2k+1, and a message is forwarded to the peer and acked).
 * The generator's per-message work is the same for all three; only the framing differs.
 */
export type Target = "ws-relay" | "socketio-relay" | "duo";
export const TARGETS: readonly Target[] = ["ws-relay", "socketio-relay", "duo"];
export const TARGET_LABEL: Record<Target, string> = {
  "ws-relay": "raw ws relay",
  "socketio-relay": "bare Socket.IO relay",
  duo: "Duo",
};
const FRAMING: Record<Target, Framing> = { "ws-relay": "json", "socketio-relay": "socket.io", duo: "socket.io" };

export interface Credentials {
  username: string;
  password: string;
}

/** A signed-in user: what a virtual user needs to connect. */
export interface Identity {
  id: string;
  name: string;
  /** The Cookie header the browser would send. */
  cookie: string;
}

export interface Received {
  conversationId: string;
  senderId: string;
  key: string;
}

/** What a virtual user reports; each callback gets the arrival time (`now()`). */
export interface VirtualUserHandlers {
  message?(m: Received, at: number): void;
  presenceSnapshot?(onlineIds: string[], at: number): void;
  presenceDelta?(online: string[], offline: string[], at: number): void;
  conversationClosed?(conversationId: string, peerId: string, at: number): void;
}

export interface SendResult {
  ok: boolean;
  error?: string;
}

/** A shared clock across the harness's processes on one machine: epoch ms with sub-ms precision. */
export const now = (): number => performance.timeOrigin + performance.now();

/** POST /api/register. Returns the new user's id and name. */
export async function signUp(baseUrl: string, creds: Credentials): Promise<{ id: string; name: string }> {
  const res = await fetch(`${baseUrl}/api/register`, {
    method: "POST",
    // A non-browser client says where it comes from (the server refuses cross-origin posts).
    headers: { "content-type": "application/json", origin: new URL(baseUrl).origin },
    body: JSON.stringify(creds),
  });
  const body = (await res.json().catch(() => ({}))) as { user?: { id: string; name: string }; error?: string };
  if (res.status !== 201 || !body.user) throw new Error(`sign-up of ${creds.username} failed: HTTP ${res.status} ${body.error ?? ""}`);
  return body.user;
}

/** next-auth's Credentials sign-in, as the browser does it. Returns the session Cookie header. */
export async function signIn(baseUrl: string, creds: Credentials): Promise<string> {
  const csrfRes = await fetch(`${baseUrl}/api/auth/csrf`);
  const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
  const csrfCookie = cookiePairs(csrfRes.headers.getSetCookie());
  const res = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrfCookie, origin: new URL(baseUrl).origin },
    body: new URLSearchParams({ csrfToken, username: creds.username, password: creds.password, json: "true" }).toString(),
  });
  const session = cookiePairs(res.headers.getSetCookie())
    .split("; ")
    .filter((c) => c.startsWith("next-auth.session-token"));
  if (session.length === 0) throw new Error(`sign-in of ${creds.username} failed: HTTP ${res.status}, no session cookie`);
  return session.join("; ");
}

function cookiePairs(setCookies: string[]): string {
  return setCookies
    .map((c) => c.split(";")[0]!.trim())
    .filter((c) => c.length > 0 && !c.endsWith("="))
    .join("; ");
}

let keyCounter = 0;
/** A fresh idempotency key (the contract wants 8-64 chars of [A-Za-z0-9_-]). */
export const newKey = (): string => `b${process.pid.toString(36)}-${(++keyCounter).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

export class VirtualUser {
  private socket: LightSocket | null = null;
  /** The node that welcomed this user last (several nodes behind a balancer: which one it landed on). */
  serverId: string | null = null;

  constructor(
    readonly identity: Identity,
    private readonly handlers: VirtualUserHandlers = {},
    readonly target: Target = "duo",
  ) {}

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  /** Opens the socket; resolves when the server has welcomed this user (they are online from then).
   * A baseline has no welcome: connected is welcomed. */
  async connect(baseUrl: string, timeoutMs = 20_000): Promise<number> {
    const duo = this.target === "duo";
    const url = duo ? wsUrl(baseUrl) : `${wsUrl(baseUrl)}/?id=${encodeURIComponent(this.identity.id)}`;
    const socket = new LightSocket({
      url,
      framing: FRAMING[this.target],
      timeoutMs,
      ...(duo ? { headers: { cookie: this.identity.cookie } } : {}),
    });
    this.socket = socket;
    const h = this.handlers;
    const self = this.identity.id;
    socket.on("message:new", (p) => {
      const m = p as MessageView;
      h.message?.({ conversationId: m.dialogId, senderId: m.senderId, key: m.clientKey }, now());
    });
    if (!duo) {
      await socket.ready();
      return now();
    }
    socket.on("presence:delta", (p) => {
      const d = p as PresenceDelta;
      h.presenceDelta?.(
        d.online.map((u) => u.id),
        d.offline,
        now(),
      );
    });
    socket.on("dialog:closed", (p) => {
      const c = p as DialogClosed;
      h.conversationClosed?.(c.dialogId, c.peer.id, now());
    });
    const welcomed = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new Error("no welcome in time"));
      }, timeoutMs);
      socket.on("disconnect", (reason) => {
        clearTimeout(timer);
        reject(new Error(`disconnected before the welcome (${String(reason)})`));
      });
      socket.on("session:welcome", (p) => {
        const at = now();
        const w = p as Welcome;
        this.serverId = w.serverId;
        clearTimeout(timer);
        socket.off("disconnect");
        h.presenceSnapshot?.(
          w.users.map((u) => u.id).filter((id) => id !== self),
          at,
        );
        resolve(at);
      });
    });
    welcomed.catch(() => {}); // a connect error below is the one reported
    await socket.ready();
    return welcomed;
  }

  /** Opens (or finds) the conversation with `peerId`; resolves with its id. A baseline pairs 2k with
   * 2k+1 by itself: no round trip. */
  async openConversation(peerId: string, timeoutMs = 10_000): Promise<string> {
    if (this.target !== "duo") {
      const a = Number(this.identity.id);
      if (Number(peerId) !== (a ^ 1)) throw new Error(`open refused: the baselines pair ${a} with ${a ^ 1} only`);
      return `d${a >> 1}`;
    }
    const res = (await this.live().request("dialog:open", { peerId }, timeoutMs)) as
      { ok: true; dialog: { id: string } } | { ok: false; error: string };
    if (!res.ok) throw new Error(`open refused: ${res.error}`);
    return res.dialog.id;
  }

  /** Sends one message; resolves when the server acknowledged (stored) it, or with the refusal. */
  send(conversationId: string, key: string, body: string, timeoutMs = 10_000): Promise<SendResult> {
    return this.live()
      .request("message:send", { dialogId: conversationId, clientKey: key, body }, timeoutMs)
      .then(
        (r) => {
          const res = r as { ok: boolean; error?: string };
          return res.ok ? { ok: true } : { ok: false, error: res.error ?? "refused" };
        },
        (err: unknown) => ({ ok: false, error: err instanceof AckTimeout ? "ack_timeout" : "disconnected" }),
      );
  }

  /** Kills the client without a goodbye. "loud": the TCP connection is destroyed (the server sees it
   * close). "silent": the connection stays open but nothing is read or written any more, so the server
   * only finds out through its heartbeat. */
  kill(mode: "loud" | "silent"): boolean {
    const tcp = this.socket?.tcp;
    if (!tcp || !this.socket?.connected) return false;
    this.socket.silence();
    if (mode === "loud") {
      tcp.destroy();
    } else {
      tcp.pause();
      tcp.removeAllListeners("data");
      tcp.write = () => true;
      tcp.end = () => tcp;
    }
    return true;
  }

  close(): void {
    this.socket?.silence();
    this.socket?.close();
    this.socket = null;
  }

  private live(): LightSocket {
    if (!this.socket) throw new Error("not connected");
    return this.socket;
  }
}
