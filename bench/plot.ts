/**
 * One PNG of the run: the end-to-end latency CDF (steady: Duo and the two baselines; multi-node when
 * run), saturation (delivered and p99 vs offered rate, per target), the presence convergence curve
 * (login-storm) and the abandoned-client teardown CDF. The SVG is built
 * here and rendered with @resvg/resvg-js (its native binary ships inside the npm package).
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { Resvg } from "@resvg/resvg-js";
import type { ScenarioResult } from "./scenario";
import { TARGET_LABEL, TARGETS, type Target } from "./virtual-user";

const COLOR: Record<Target, string> = { "ws-relay": "#7f7f7f", "socketio-relay": "#ff7f0e", duo: "#1f77b4" };

interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  log: boolean;
  series: Series[];
  vlines: { x: number; label: string; color: string }[];
  empty: string;
  legendAt?: "bottom-right" | "middle-left" | "top-left";
  /** A value axis instead of the default fraction axis (0..1 with a p99 line). */
  y?: { log: boolean; hlines?: { y: number; label: string; color: string }[] };
}

const W = 560;
const H = 380;
const M = { l: 64, r: 20, t: 40, b: 56 };
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function niceTicks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      for (const m of [1, 2, 5]) {
        const v = m * 10 ** e;
        if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
      }
    }
    return out;
  }
  const span = hi - lo || 1;
  const raw = span / 6;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= 7) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Math.round(v * 1e6) / 1e6);
  return out;
}

const fmt = (v: number) => (Math.abs(v) >= 1000 ? `${+(v / 1000).toFixed(1)}k` : `${+v.toPrecision(3)}`);

function panel(p: Panel, ox: number, oy: number): string {
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b;
  const out = [`<g transform="translate(${ox},${oy})">`, `<rect width="${W}" height="${H}" fill="white"/>`];
  out.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${esc(p.title)}</text>`);
  const all = p.series.flatMap((s) => s.points);
  if (all.length === 0) {
    out.push(`<rect x="${M.l}" y="${M.t}" width="${pw}" height="${ph}" fill="#f6f6f6" stroke="#ccc"/>`);
    out.push(`<text x="${M.l + pw / 2}" y="${M.t + ph / 2}" text-anchor="middle" font-size="14" fill="#777">${esc(p.empty)}</text></g>`);
    return out.join("");
  }
  const xs = [...all.map((q) => q[0]), ...p.vlines.map((v) => v.x)];
  let lo = Math.min(...xs);
  let hi = Math.max(...xs);
  if (p.log) {
    lo = 10 ** Math.floor(Math.log10(Math.max(lo, 0.01)));
    hi = 10 ** Math.ceil(Math.log10(Math.max(hi, lo * 10)));
  } else {
    lo = Math.min(0, lo);
    hi = hi === lo ? lo + 1 : hi * 1.05;
  }
  const X = (v: number) =>
    M.l + (p.log ? (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (v - lo) / (hi - lo)) * pw;
  let Y = (f: number) => M.t + (1 - f) * ph;
  let yTicks = [0, 0.25, 0.5, 0.75, 0.9, 1];
  if (p.y) {
    const ys = [...all.map((q) => q[1]), ...(p.y.hlines ?? []).map((h) => h.y)];
    let ylo = Math.min(...ys);
    let yhi = Math.max(...ys);
    if (p.y.log) {
      ylo = 10 ** Math.floor(Math.log10(Math.max(ylo, 0.01)));
      yhi = 10 ** Math.ceil(Math.log10(Math.max(yhi, ylo * 10)));
      Y = (v: number) => M.t + (1 - (Math.log10(Math.max(v, ylo)) - Math.log10(ylo)) / (Math.log10(yhi) - Math.log10(ylo))) * ph;
    } else {
      ylo = Math.min(0, ylo);
      yhi = yhi === ylo ? ylo + 1 : yhi * 1.05;
      Y = (v: number) => M.t + (1 - (v - ylo) / (yhi - ylo)) * ph;
    }
    yTicks = niceTicks(ylo, yhi, p.y.log);
  }
  out.push(`<rect x="${M.l}" y="${M.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  for (const t of niceTicks(lo, hi, p.log)) {
    out.push(`<line x1="${X(t)}" x2="${X(t)}" y1="${M.t}" y2="${M.t + ph}" stroke="#eee"/>`);
    out.push(`<text x="${X(t)}" y="${M.t + ph + 16}" text-anchor="middle" font-size="11">${fmt(t)}</text>`);
  }
  for (const f of yTicks) {
    out.push(`<line x1="${M.l}" x2="${M.l + pw}" y1="${Y(f)}" y2="${Y(f)}" stroke="#eee"/>`);
    out.push(`<text x="${M.l - 6}" y="${Y(f) + 4}" text-anchor="end" font-size="11">${p.y ? fmt(f) : f}</text>`);
  }
  if (!p.y) {
    out.push(`<line x1="${M.l}" x2="${M.l + pw}" y1="${Y(0.99)}" y2="${Y(0.99)}" stroke="#bbb" stroke-dasharray="2,3"/>`);
    out.push(`<text x="${M.l + 4}" y="${Y(0.99) + 12}" font-size="10" fill="#777">0.99</text>`);
  }
  for (const h of p.y?.hlines ?? []) {
    out.push(
      `<line x1="${M.l}" x2="${M.l + pw}" y1="${Y(h.y)}" y2="${Y(h.y)}" stroke="${h.color}" stroke-dasharray="5,4" stroke-width="1.5"/>`,
    );
    out.push(`<text x="${M.l + pw - 4}" y="${Y(h.y) - 4}" text-anchor="end" font-size="11" fill="${h.color}">${esc(h.label)}</text>`);
  }
  out.push(`<text x="${M.l + pw / 2}" y="${H - 14}" text-anchor="middle" font-size="12">${esc(p.xLabel)}</text>`);
  out.push(`<text transform="translate(16,${M.t + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(p.yLabel)}</text>`);
  p.vlines.forEach((v, i) => {
    const x = X(v.x);
    const right = x > M.l + pw * 0.75; // label on the left of the line near the right edge
    out.push(`<line x1="${x}" x2="${x}" y1="${M.t}" y2="${M.t + ph}" stroke="${v.color}" stroke-dasharray="5,4" stroke-width="1.5"/>`);
    out.push(
      `<text x="${right ? x - 4 : x + 4}" y="${M.t + 28 + 14 * i}" text-anchor="${right ? "end" : "start"}" font-size="11" fill="${v.color}">${esc(v.label)}</text>`,
    );
  });
  p.series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const d = s.points.map(([x, f], j) => `${j === 0 ? "M" : "L"}${X(x).toFixed(1)},${Y(f).toFixed(1)}`).join("");
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    if (p.y) for (const [x, v] of s.points) out.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(v).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
    const left = p.legendAt === "middle-left" || p.legendAt === "top-left";
    const lx = left ? M.l + 10 : M.l + pw - 190;
    const ly =
      p.legendAt === "top-left" ? M.t + 64 + 16 * i : left ? M.t + ph / 2 + 16 * i : M.t + ph - 12 - 16 * (p.series.length - 1 - i);
    out.push(`<rect x="${lx - 6}" y="${ly - 13}" width="190" height="15" fill="white" fill-opacity="0.85"/>`);
    out.push(`<rect x="${lx}" y="${ly - 8}" width="14" height="4" fill="${s.color}"/>`);
    out.push(`<text x="${lx + 20}" y="${ly - 2}" font-size="11">${esc(s.name)}</text>`);
  });
  out.push("</g>");
  return out.join("");
}

export function buildSvg(results: ScenarioResult[], caption: string): string {
  const get = (name: string) => results.find((r) => r.name === name && r.status === "ok");
  const steady = get("steady");
  const multi = get("multi-node");
  const storm = get("login-storm");
  const gone = get("abandoned");
  const idle = get("idle-capacity");
  const timeout = gone?.series?.abandonedTimeoutMs;
  const sat = get("saturation")?.series?.saturation ?? {};
  const byTarget = steady?.series?.targetLatencyCdf;
  const satSeries = (pick: (p: [number, number, number]) => [number, number]) =>
    TARGETS.map((t) => ({ name: TARGET_LABEL[t], color: COLOR[t], points: (sat[t] ?? []).map(pick) })).filter((s) => s.points.length > 0);
  const panels: Panel[] = [
    {
      title: "End-to-end latency CDF (send → peer's message:new)",
      xLabel: "latency, ms (log scale)",
      yLabel: "fraction of messages",
      log: true,
      series: [
        ...(byTarget
          ? TARGETS.map((t) => ({ name: `steady: ${TARGET_LABEL[t]}`, color: COLOR[t], points: byTarget[t] ?? [] }))
          : [{ name: "steady (1 node)", color: COLOR.duo, points: steady?.series?.latencyCdf ?? [] }]),
        { name: "multi-node, all", color: "#2ca02c", points: multi?.series?.latencyCdf ?? [] },
        { name: "multi-node, cross-node", color: "#d62728", points: multi?.series?.crossNodeLatencyCdf ?? [] },
      ].filter((s) => s.points.length > 0),
      vlines: [{ x: 2, label: "target p99 2 ms", color: "#d62728" }],
      empty: "steady not run",
      legendAt: "top-left",
    },
    {
      title: "Saturation: delivered vs offered",
      xLabel: "offered, msg/s (total)",
      yLabel: "delivered, msg/s",
      log: false,
      y: { log: false },
      series: satSeries(([offered, delivered]) => [offered, delivered]),
      vlines: [],
      empty: "saturation not run",
      legendAt: "top-left",
    },
    {
      title: "Saturation: p99 latency vs offered",
      xLabel: "offered, msg/s (total)",
      yLabel: "p99 latency, ms (log scale)",
      log: false,
      y: { log: true, hlines: [{ y: 50, label: "limit 50 ms", color: "#d62728" }] },
      series: satSeries(([offered, , p99]) => [offered, p99]),
      vlines: [],
      empty: "saturation not run",
      legendAt: "top-left",
    },
    {
      title: "Presence convergence (login storm)",
      xLabel: "ms after the last login",
      yLabel: "fraction of clients with a complete list",
      log: false,
      series: [{ name: "clients complete", color: "#9467bd", points: stepped(storm?.series?.convergence ?? []) }],
      vlines: [{ x: 300, label: "target: 300 ms", color: "#d62728" }],
      empty: "login-storm not run",
    },
    {
      title: "Abandoned clients: kill → teardown at the peer",
      xLabel: "ms after the kill",
      yLabel: "fraction of killed clients",
      log: false,
      series: [
        { name: "loud (TCP destroyed)", color: "#ff7f0e", points: stepped(gone?.series?.abandonedLoud ?? []) },
        { name: "silent (heartbeat only)", color: "#8c564b", points: stepped(gone?.series?.abandonedSilent ?? []) },
      ],
      vlines: timeout
        ? [
            { x: timeout, label: `configured ${timeout} ms`, color: "#555" },
            { x: timeout + 1000, label: "target: +1 s", color: "#d62728" },
          ]
        : [],
      empty: "abandoned not run",
      legendAt: "middle-left",
    },
    {
      title: "Idle capacity: server RSS vs connections",
      xLabel: "connected users",
      yLabel: "server RSS, MiB",
      log: false,
      y: { log: false },
      series: [
        { name: "Duo server RSS", color: COLOR.duo, points: (idle?.series?.ramp ?? []).map(([n, , rss]) => [n, rss] as [number, number]) },
      ],
      vlines: [],
      empty: "idle-capacity not run",
      legendAt: "top-left",
    },
  ];
  const cols = 3;
  const rows = Math.ceil(panels.length / cols);
  const width = W * cols;
  const height = H * rows + 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Liberation Sans, Geist, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...panels.map((p, i) => panel(p, (i % cols) * W, Math.floor(i / cols) * H)),
    `<text x="10" y="${H * rows + 20}" font-size="12" fill="#444">${esc(caption)}</text>`,
    "</svg>",
  ].join("\n");
}

/** A CDF drawn as steps (each point holds until the next x). */
function stepped(points: [number, number][]): [number, number][] {
  const out: [number, number][] = points.length > 0 ? [[points[0]![0], 0]] : [];
  for (const [x, f] of points) {
    if (out.length > 0) out.push([x, out[out.length - 1]![1]]);
    out.push([x, f]);
  }
  return out;
}

export function renderPng(svg: string): Buffer {
  const fontFiles: string[] = [];
  try {
    // A font that ships inside an npm package, for machines without system fonts.
    const geist = createRequire(import.meta.url).resolve("next/dist/compiled/@vercel/og/Geist-Regular.ttf");
    if (existsSync(geist)) fontFiles.push(geist);
  } catch {
    /* not there: system fonts only */
  }
  const resvg = new Resvg(svg, {
    font: { loadSystemFonts: true, fontFiles, defaultFontFamily: "DejaVu Sans" },
    fitTo: { mode: "original" },
  });
  return resvg.render().asPng();
}
