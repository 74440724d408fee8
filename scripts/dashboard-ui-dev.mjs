// Serves the built dashboard UI (dist/dashboard-ui) with a synthetic fleet's feed, to develop and
// look at the page without a running fleet (and to see it with thousands of devices).
// Usage: node scripts/build-dashboard-ui.mjs && node scripts/dashboard-ui-dev.mjs [--port 8099] [--devices 2000] [--token secret]
// The feed follows libs/contracts/src/dashboard.ts; the numbers are invented.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const port = Number(arg("port", "8099"));
const deviceCount = Number(arg("devices", "60"));
const token = arg("token", "");
const root = join(dirname(fileURLToPath(import.meta.url)), "../dist/dashboard-ui");
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".map": "application/json" };

let seed = 7;
const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
const pick = (list) => list[Math.floor(random() * list.length)];
const now = () => Date.now();

const verifierCount = Math.max(1, Math.round(deviceCount / 20));
const devices = new Map();
for (let i = 0; i < deviceCount; i++) {
  const verifier = i < verifierCount;
  const id = verifier ? `verifier-${i + 1}` : `drafter-${i - verifierCount + 1}`;
  const battery = !verifier && random() < 0.4;
  devices.set(id, {
    id,
    role: verifier ? "verifier" : "drafter",
    model: verifier ? pick(["stories260K", "stories260K-w1024"]) : pick(["stories260K-d1", "stories260K-q4"]),
    deviceClass: verifier ? pick(["gpu-a10", "cpu-xl"]) : pick(["phone", "laptop", "jetson", "rpi5"]),
    state: "ready",
    draining: false,
    power: battery
      ? { source: "battery", level: Math.round(random() * 100) / 100 }
      : { source: "plugged", level: null },
    activeSessions: 0,
    maxSessions: verifier ? 16 : 2,
    threads: verifier ? 8 : 2,
    tokensPerSecond: 0,
    acceptance: null,
    meanBatchSize: verifier ? 1 + random() * 3 : 0,
    memoryRssBytes: (verifier ? 900 : 150) * 1024 * 1024 * (0.8 + random() * 0.4),
    profile: verifier
      ? { verifyMsByWindow: [2, 4, 8].map((w) => ({ window: w, ms: 6 + w * (0.8 + random()) })) }
      : { draftMsPerToken: 0.5 + random() * 4 },
    brokerRttMs: 0.3 + random() * (verifier ? 1 : 40),
    startedAt: now() - 3_600_000 * random(),
    lastSeenAt: now(),
  });
}
const ids = [...devices.keys()];
const verifiers = ids.slice(0, verifierCount);
const drafters = ids.slice(verifierCount);
devices.get(drafters[drafters.length - 1] ?? verifiers[0]).state = "lost";

let sessionCounter = 0;
let sessions = [];
let queue = [];
const moves = [];
const series = [];
const pairHistory = new Map();
let changed = new Set(ids);

function newSession() {
  const verifierId = pick(verifiers);
  const drafterId = random() < 0.9 ? pick(drafters) : null;
  const predicted = 20 + random() * 80;
  return {
    sessionId: `cmpl-${(++sessionCounter).toString(36).padStart(6, "0")}`,
    model: devices.get(verifierId).model,
    verifierId,
    drafterId,
    priority: pick([0, 0, 0, 5, -1]),
    submittedAt: now() - 2000,
    placedAt: now(),
    promptTokens: 12,
    generatedTokens: 0,
    maxTokens: pick([64, 128, 256]),
    origin: random() < 0.3 ? { keyId: "key_ops", jobId: random() < 0.5 ? "job_42" : null } : null,
    predictedTokensPerSecond: predicted,
    achievedTokensPerSecond: null,
    window: null,
    tokensPerSecond: null,
  };
}

function tick() {
  const target = Math.min(400, Math.max(3, Math.round(deviceCount / 4)));
  while (sessions.length < target) sessions.push(newSession());
  for (const s of sessions) {
    s.window = pick([2, 4, 4, 6, 8]);
    s.tokensPerSecond = s.predictedTokensPerSecond * (0.6 + random() * 0.7);
    s.achievedTokensPerSecond = s.tokensPerSecond;
    s.generatedTokens = Math.min(s.maxTokens, s.generatedTokens + Math.round(s.tokensPerSecond / 2));
  }
  const done = sessions.filter((s) => s.generatedTokens >= s.maxTokens);
  sessions = sessions.filter((s) => s.generatedTokens < s.maxTokens);
  queue = Array.from({ length: Math.floor(random() * 6) }, (_, i) => ({
    sessionId: `cmpl-q${i}`,
    model: "stories260K",
    priority: pick([0, 5]),
    submittedAt: now() - random() * 8000,
    origin: null,
  }));
  if (random() < 0.3 && sessions.length) {
    const s = pick(sessions);
    const to = pick(drafters);
    moves.push({
      at: now(),
      kind: pick(["rebalance", "drafter-attached", "hand-back", "drafter-lost"]),
      sessionId: s.sessionId,
      from: { verifierId: s.verifierId, drafterId: s.drafterId },
      to: { verifierId: s.verifierId, drafterId: to },
      predictedGain: { fromTokensPerSecond: 30, toTokensPerSecond: 44, savedMs: 800 },
      reason: `drafter ${to} is predicted 47% faster on ${s.verifierId}`,
    });
    s.drafterId = to;
  }
  for (const d of devices.values()) {
    if (d.state === "lost") continue;
    d.activeSessions = sessions.filter((s) => s.verifierId === d.id || s.drafterId === d.id).length;
    d.tokensPerSecond = d.activeSessions * (20 + random() * 30);
    d.acceptance = d.activeSessions ? 0.5 + random() * 0.4 : d.acceptance;
    d.lastSeenAt = now() - random() * 900;
    changed.add(d.id);
  }
  return done.length;
}

function pairs() {
  const byPair = new Map();
  for (const s of sessions) {
    if (!s.drafterId) continue;
    const key = `${s.verifierId}|${s.drafterId}`;
    const p = byPair.get(key) ?? {
      verifierId: s.verifierId,
      drafterId: s.drafterId,
      sessions: 0,
      acceptance: 0.4 + random() * 0.5,
      meanWindow: 4,
      windows: { 2: Math.round(random() * 5), 4: Math.round(random() * 20), 8: Math.round(random() * 8) },
      roundTripMs: 2 + random() * 40,
      tokensPerSecond: 0,
      rounds: Math.round(random() * 5000),
      predictedTokensPerSecond: s.predictedTokensPerSecond,
      achievedTokensPerSecond: 0,
      lastRoundAt: now(),
    };
    p.sessions++;
    p.tokensPerSecond += s.tokensPerSecond;
    p.achievedTokensPerSecond = p.tokensPerSecond / p.sessions;
    byPair.set(key, p);
  }
  return [...byPair.values()];
}

const scheduler = () => ({
  connected: true,
  lastInsightAt: now() - 300,
  policy: "load-aware",
  decisions: { total: sessionCounter, perSecond: 3 + random() * 4, p50Ms: 0.4, p95Ms: 1.6, p99Ms: 3.1 },
  running: sessions.length,
  waiting: queue.length,
});

function point() {
  return {
    at: now(),
    throughput: sessions.reduce((sum, s) => sum + (s.tokensPerSecond ?? 0), 0),
    ttftP50Ms: 40 + random() * 20,
    ttftP95Ms: 90 + random() * 60,
    tpotP50Ms: 12 + random() * 4,
    tpotP95Ms: 25 + random() * 10,
    acceptance: 0.6 + random() * 0.2,
    queueDepth: queue.length,
    sessions: sessions.length,
  };
}
for (let t = 60; t > 0; t--) series.push({ ...point(), at: now() - t * 1000 });

const role = (req) => {
  if (!token) return "admin";
  return (req.headers.cookie ?? "").includes(`dev-session=${token}`) ? "admin" : null;
};
const json = (res, status, body) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};
const error = (res, status, message) =>
  json(res, status, { error: { message, type: "invalid_request_error", param: null, code: null } });
const readBody = async (req) => {
  let text = "";
  for await (const chunk of req) text += chunk;
  return text ? JSON.parse(text) : {};
};

const streams = new Set();
const send = (res, event, data) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
const state = (r) => ({
  at: now(),
  role: r,
  devices: [...devices.values()],
  pairs: pairs(),
  sessions,
  queue,
  jobs: [
    {
      id: "job_42",
      keyId: "key_ops",
      status: "active",
      total: 500,
      completed: 180 + (sessionCounter % 300),
      failed: 2,
      createdAt: now() - 600_000,
    },
  ],
  moves: moves.slice(-500),
  scheduler: scheduler(),
  series,
});

setInterval(() => {
  tick();
  const fresh = moves.filter((m) => m.at > now() - 500);
  const delta = {
    at: now(),
    devices: [...changed].map((id) => devices.get(id)),
    pairs: pairs(),
    sessions,
    queue,
    moves: fresh,
    scheduler: scheduler(),
  };
  changed = new Set();
  for (const res of streams) send(res, "delta", delta);
}, 500);
setInterval(() => {
  const p = point();
  series.push(p);
  while (series.length && series[0].at < now() - 15 * 60_000) series.shift();
  for (const pair of pairs()) {
    const key = `${pair.verifierId}|${pair.drafterId}`;
    const list = pairHistory.get(key) ?? [];
    list.push({ at: now(), ...pair });
    pairHistory.set(key, list.slice(-180));
  }
  for (const res of streams) send(res, "point", p);
}, 1000);

createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", "http://x");
  const path = url.pathname;
  if (path === "/dashboard/api/login" && req.method === "POST") {
    const body = await readBody(req);
    if (token && body.token !== token) return error(res, 401, "invalid token");
    res.setHeader("set-cookie", `dev-session=${body.token ?? ""}; HttpOnly; SameSite=Strict; Path=/dashboard`);
    return json(res, 200, { role: "admin" });
  }
  if (path === "/dashboard/api/logout") {
    res.setHeader("set-cookie", "dev-session=; Max-Age=0; Path=/dashboard");
    return json(res, 200, {});
  }
  const r = role(req);
  if (path.startsWith("/dashboard/api/") && !r) return error(res, 401, "log in first");
  if (path === "/dashboard/api/me") return json(res, 200, { role: r });
  if (path === "/dashboard/api/state") return json(res, 200, state(r));
  if (path === "/dashboard/api/stream") {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" });
    send(res, "state", state(r));
    streams.add(res);
    req.on("close", () => streams.delete(res));
    return;
  }
  const drain = path.match(/^\/dashboard\/api\/devices\/([^/]+)\/(drain|undrain)$/);
  if (drain && req.method === "POST") {
    const device = devices.get(decodeURIComponent(drain[1]));
    if (!device) return error(res, 404, `no device ${drain[1]}`);
    device.draining = drain[2] === "drain";
    device.state = device.draining ? "draining" : "ready";
    changed.add(device.id);
    return json(res, 200, { ok: true });
  }
  const history = path.match(/^\/dashboard\/api\/pairs\/([^/]+)\/([^/]+)\/history$/);
  if (history) {
    const [v, d] = [decodeURIComponent(history[1]), decodeURIComponent(history[2])];
    return json(res, 200, { verifierId: v, drafterId: d, points: pairHistory.get(`${v}|${d}`) ?? [] });
  }
  if (path === "/dashboard" || path.startsWith("/dashboard/")) {
    const file = normalize(path.replace(/^\/dashboard\/?/, "") || "index.html");
    if (file.startsWith("..")) return error(res, 404, "not found");
    const body = await readFile(join(root, file)).catch(() =>
      extname(file) ? null : readFile(join(root, "index.html")),
    );
    if (!body) return error(res, 404, "not found");
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "text/html" });
    return res.end(body);
  }
  error(res, 404, "not found");
}).listen(port, "127.0.0.1", () =>
  console.log(`dashboard UI dev server: http://127.0.0.1:${port}/dashboard (${deviceCount} devices)`),
);
