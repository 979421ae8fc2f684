/**
 * How ONE virtual user speaks to this app — the only module of the harness that knows Duo's HTTP
 * routes and Socket.IO event contract. Everything else in bench/ talks to the `VirtualUser` below in
 * neutral words (conversation, key, presence), so another Socket.IO chat server can be benchmarked
 * by writing a module with the same exports.
 *
 *  - sign up:  POST /api/register {username, password} -> 201
 *  - sign in:  GET /api/auth/csrf (csrf cookie + token), then POST /api/auth/callback/credentials
 *              (form: csrfToken, username, password, json=true) -> `next-auth.session-token` cookie
 *  - connect:  socket.io-client, WebSocket only, the session cookie in the handshake, no Origin
 *  - presence: `session:welcome` snapshot, then `presence:delta` {online, offline}
 *  - open:     `dialog:open` {peerId} -> ack {ok, dialog}
 *  - send:     `message:send` {dialogId, clientKey, body} -> ack {ok, message}
 *  - receive:  `message:new`; a conversation ends with `dialog:closed`
 */
import type { Socket as TcpSocket } from "node:net";
import { io, type Socket } from "socket.io-client";
import type { ClientToServerEvents, ServerToClientEvents } from "../lib/contract/events";
import { request } from "../lib/client/request";

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

type AppSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

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
  private socket: AppSocket | null = null;
  /** The node that welcomed this user last (several nodes behind a balancer: which one it landed on). */
  serverId: string | null = null;

  constructor(
    readonly identity: Identity,
    private readonly handlers: VirtualUserHandlers = {},
  ) {}

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  /** Opens the socket; resolves when the server has welcomed this user (they are online from then). */
  connect(baseUrl: string, timeoutMs = 20_000): Promise<number> {
    const socket: AppSocket = io(baseUrl, {
      transports: ["websocket"],
      forceNew: true,
      reconnection: false,
      timeout: timeoutMs,
      extraHeaders: { cookie: this.identity.cookie },
    });
    this.socket = socket;
    const h = this.handlers;
    const self = this.identity.id;
    socket.on("message:new", (m) => h.message?.({ conversationId: m.dialogId, senderId: m.senderId, key: m.clientKey }, now()));
    socket.on("presence:delta", (d) =>
      h.presenceDelta?.(
        d.online.map((u) => u.id),
        d.offline,
        now(),
      ),
    );
    socket.on("dialog:closed", (c) => h.conversationClosed?.(c.dialogId, c.peer.id, now()));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error("no welcome in time")), timeoutMs);
      const fail = (err: Error & { data?: { code?: string } }) => {
        clearTimeout(timer);
        socket.disconnect();
        reject(new Error(err.data?.code ?? err.message));
      };
      socket.once("connect_error", fail);
      socket.once("session:welcome", (w) => {
        const at = now();
        this.serverId = w.serverId;
        clearTimeout(timer);
        socket.off("connect_error", fail);
        h.presenceSnapshot?.(
          w.users.map((u) => u.id).filter((id) => id !== self),
          at,
        );
        resolve(at);
      });
    });
  }

  /** Opens (or finds) the conversation with `peerId`; resolves with its id. */
  async openConversation(peerId: string, timeoutMs = 10_000): Promise<string> {
    const res = await request(this.live(), "dialog:open", { peerId }, timeoutMs);
    if (!res.ok) throw new Error(`open refused: ${res.error}`);
    return res.dialog.id;
  }

  /** Sends one message; resolves when the server acknowledged (stored) it, or with the refusal. */
  send(conversationId: string, key: string, body: string, timeoutMs = 10_000): Promise<SendResult> {
    return new Promise((resolve) => {
      this.live()
        .timeout(timeoutMs)
        .emit("message:send", { dialogId: conversationId, clientKey: key, body }, (err: Error | null, res) => {
          if (err) resolve({ ok: false, error: "ack_timeout" });
          else resolve(res.ok ? { ok: true } : { ok: false, error: res.error });
        });
    });
  }

  /** Kills the client without a goodbye. "loud": the TCP connection is destroyed (the server sees it
   * close). "silent": the connection stays open but nothing is read or written any more, so the server
   * only finds out through its heartbeat. */
  kill(mode: "loud" | "silent"): boolean {
    const tcp = this.tcp();
    if (!tcp || !this.socket?.connected) return false;
    if (mode === "loud") {
      tcp.destroy();
    } else {
      tcp.pause();
      tcp.removeAllListeners("data");
      tcp.write = () => true;
      tcp.end = () => tcp;
      // The client's own ping check would otherwise notice and react on its own.
      this.socket.io.engine.removeAllListeners();
    }
    this.socket.removeAllListeners();
    return true;
  }

  close(): void {
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
    this.socket = null;
  }

  private live(): AppSocket {
    if (!this.socket) throw new Error("not connected");
    return this.socket;
  }

  private tcp(): TcpSocket | undefined {
    const engine = this.socket?.io.engine as unknown as { transport?: { ws?: { _socket?: TcpSocket } } } | undefined;
    return engine?.transport?.ws?._socket;
  }
}
