/**
 * A minimal real-time client on the `ws` package, light enough that thousands of them in one load
 * process cost far less CPU than the server they drive (socket.io-client's per-socket machinery —
 * Manager, Engine, transport, emitter chains, a timer per ack — dominated the figures on 2 cores).
 *
 * Two framings over one WebSocket:
 *  - "socket.io": the Engine.IO v4 / Socket.IO v5 text protocol spoken by hand. Server `0{open json}`
 *    -> client `40` (connect to the main namespace; authentication rides on the upgrade request's
 *    headers, e.g. Cookie) -> server `40{"sid":..}` or `44{connect error}`. Events `42["name",payload]`;
 *    an emit with ack `42<id>["name",payload]` is answered by `43<id>[reply]`. Server ping `2` -> `3`.
 *  - "json": one JSON object per frame, for the raw ws relay baseline: `{"e":name,"d":payload}`,
 *    with `"a":id` when an ack is wanted; the ack comes back as `{"a":id,"d":reply}`.
 *
 * Acks are timed out by one sweep per process (not a timer per request).
 */
import type { Socket as TcpSocket } from "node:net";
import WebSocket from "ws";

export type Framing = "socket.io" | "json";

export class AckTimeout extends Error {
  constructor() {
    super("ack_timeout");
  }
}

interface PendingAck {
  deadline: number;
  resolve(reply: unknown): void;
  reject(err: Error): void;
}

/** Sockets with acks outstanding; swept every 250 ms for expired ones. */
const waiting = new Set<LightSocket>();
let sweeper: NodeJS.Timeout | null = null;
function sweep(): void {
  const t = performance.now();
  for (const s of waiting) s.expireAcks(t);
  if (waiting.size === 0 && sweeper) {
    clearInterval(sweeper);
    sweeper = null;
  }
}

export interface ConnectOptions {
  /** ws:// URL; for "socket.io" framing the Engine.IO path and query are added here. */
  url: string;
  framing: Framing;
  headers?: Record<string, string>;
  timeoutMs: number;
}

type Handler = (payload: unknown) => void;

export class LightSocket {
  /** True between the namespace connect (or the WebSocket open, "json") and the close. */
  connected = false;
  private readonly handlers = new Map<string, Handler>();
  private readonly acks = new Map<number, PendingAck>();
  private nextAck = 0;
  private onClose: ((reason: string) => void) | null = null;
  readonly ws: WebSocket;

  constructor(private readonly o: ConnectOptions) {
    const url = o.framing === "socket.io" ? socketIoUrl(o.url) : o.url;
    this.ws = new WebSocket(url, {
      perMessageDeflate: false,
      skipUTF8Validation: true,
      handshakeTimeout: o.timeoutMs,
      ...(o.headers ? { headers: o.headers } : {}),
    });
    this.ws.on("message", (data: Buffer, isBinary: boolean) => {
      if (!isBinary) this.receive(data.toString());
    });
    this.ws.on("close", () => this.closed("transport close"));
    this.ws.on("error", (err) => this.closed(err.message));
  }

  /** Resolves when connected ("socket.io": the namespace connect; "json": the WebSocket open). */
  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail("connect timeout"), this.o.timeoutMs);
      const fail = (reason: string) => {
        clearTimeout(timer);
        this.handlers.delete("connect");
        this.handlers.delete("connect_error");
        this.onClose = null;
        this.terminate();
        reject(new Error(reason));
      };
      this.onClose = fail;
      this.handlers.set("connect_error", (e) => {
        const err = e as { message?: string; data?: { code?: string } } | null;
        fail(err?.data?.code ?? err?.message ?? "connect_error");
      });
      this.handlers.set("connect", () => {
        clearTimeout(timer);
        this.handlers.delete("connect");
        this.handlers.delete("connect_error");
        this.onClose = null;
        resolve();
      });
      if (this.o.framing === "json")
        this.ws.once("open", () => {
          this.connected = true;
          this.handlers.get("connect")?.(null);
        });
    });
  }

  /** One handler per event name (enough for a load generator). */
  on(event: string, handler: Handler): void {
    this.handlers.set(event, handler);
  }

  off(event: string): void {
    this.handlers.delete(event);
  }

  emit(event: string, payload: unknown): void {
    if (this.o.framing === "socket.io") this.ws.send(`42${JSON.stringify([event, payload])}`);
    else this.ws.send(JSON.stringify({ e: event, d: payload }));
  }

  /** Emits with an acknowledgement; rejects with AckTimeout after `timeoutMs`, or when the socket closes. */
  request(event: string, payload: unknown, timeoutMs: number): Promise<unknown> {
    if (!this.connected) return Promise.reject(new Error("not connected"));
    const id = this.nextAck++;
    if (this.o.framing === "socket.io") this.ws.send(`42${id}${JSON.stringify([event, payload])}`);
    else this.ws.send(JSON.stringify({ e: event, a: id, d: payload }));
    return new Promise((resolve, reject) => {
      this.acks.set(id, { deadline: performance.now() + timeoutMs, resolve, reject });
      waiting.add(this);
      sweeper ??= setInterval(sweep, 250);
    });
  }

  /** The TCP connection under the WebSocket. */
  get tcp(): TcpSocket | undefined {
    return (this.ws as unknown as { _socket?: TcpSocket })._socket;
  }

  /** Goodbye as a client says it ("socket.io": namespace disconnect), then a normal close. */
  close(): void {
    if (this.ws.readyState === WebSocket.OPEN) {
      if (this.o.framing === "socket.io") this.ws.send("41");
      this.ws.close();
    } else this.terminate();
    this.closed("client close");
  }

  terminate(): void {
    this.ws.terminate();
  }

  /** Forgets every handler and pending ack (a killed client reports nothing any more). */
  silence(): void {
    this.handlers.clear();
    this.acks.clear();
    waiting.delete(this);
    this.ws.removeAllListeners("message");
  }

  expireAcks(t: number): void {
    for (const [id, p] of this.acks) {
      if (p.deadline <= t) {
        this.acks.delete(id);
        p.reject(new AckTimeout());
      }
    }
    if (this.acks.size === 0) waiting.delete(this);
  }

  private closed(reason: string): void {
    this.connected = false;
    for (const p of this.acks.values()) p.reject(new Error(`closed: ${reason}`));
    this.acks.clear();
    waiting.delete(this);
    const onClose = this.onClose;
    this.onClose = null;
    onClose?.(reason);
    this.handlers.get("disconnect")?.(reason);
  }

  private ack(id: number, reply: unknown): void {
    const p = this.acks.get(id);
    if (!p) return;
    this.acks.delete(id);
    if (this.acks.size === 0) waiting.delete(this);
    p.resolve(reply);
  }

  private receive(text: string): void {
    if (this.o.framing === "json") {
      const m = JSON.parse(text) as { e?: string; a?: number; d?: unknown };
      if (m.e !== undefined) this.handlers.get(m.e)?.(m.d);
      else if (m.a !== undefined) this.ack(m.a, m.d);
      return;
    }
    switch (text.charCodeAt(0)) {
      case 0x30 /* 0 open */:
        this.ws.send("40");
        return;
      case 0x32 /* 2 ping */:
        this.ws.send("3");
        return;
      case 0x31 /* 1 close */:
        this.terminate();
        return;
      case 0x34 /* 4 message */:
        break;
      default:
        return;
    }
    const type = text.charCodeAt(1);
    if (type === 0x32 /* 2 event */) {
      let start = 2;
      while (start < text.length && text.charCodeAt(start) !== 0x5b /* [ */) start++; // an ack id the server wants: not used here
      const [event, payload] = JSON.parse(text.slice(start)) as [string, unknown];
      this.handlers.get(event)?.(payload);
    } else if (type === 0x33 /* 3 ack */) {
      let start = 2;
      while (start < text.length && text.charCodeAt(start) !== 0x5b) start++;
      const id = Number(text.slice(2, start));
      const reply = JSON.parse(text.slice(start)) as unknown[];
      this.ack(id, reply[0]);
    } else if (type === 0x30 /* 0 connect */) {
      this.connected = true;
      this.handlers.get("connect")?.(null);
    } else if (type === 0x34 /* 4 connect error */) {
      this.handlers.get("connect_error")?.(text.length > 2 ? JSON.parse(text.slice(2)) : null);
    } else if (type === 0x31 /* 1 disconnect */) {
      this.terminate();
    }
  }
}

function socketIoUrl(base: string): string {
  const u = new URL(base);
  const extra = u.search.length > 1 ? `&${u.search.slice(1)}` : "";
  return `${u.protocol}//${u.host}/socket.io/?EIO=4&transport=websocket${extra}`;
}

/** http(s):// -> ws(s):// */
export const wsUrl = (httpUrl: string): string => httpUrl.replace(/^http/, "ws");
