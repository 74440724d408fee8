import Table from "cli-table3";
import type { DashboardDevice, DashboardPair, DashboardState } from "#contracts";

export const STATUS_VIEWS = ["all", "fleet", "pairs", "sessions"] as const;
export type StatusView = (typeof STATUS_VIEWS)[number];

export interface RenderOptions {
  view: StatusView;
  /** Most rows per table; the rest are counted ("… 1,980 more"). */
  limit: number;
  now: number;
}

/** The fleet and its pairs as text tables: what `specfleet fleet status` prints (pure, so it is tested on fixtures). */
export function renderFleetStatus(state: DashboardState, options: RenderOptions): string {
  const parts = [summary(state, options.now)];
  const show = (view: StatusView) => options.view === "all" || options.view === view;
  if (show("fleet")) parts.push(devicesTable(state.devices, options));
  if (show("pairs")) parts.push(pairsTable(state.pairs, options));
  if (show("sessions"))
    parts.push(sessionsTable(state, options), queueTable(state, options), movesTable(state, options));
  return parts.filter((part) => part.length > 0).join("\n\n") + "\n";
}

function summary(state: DashboardState, now: number): string {
  const byState = new Map<string, number>();
  for (const device of state.devices) byState.set(device.state, (byState.get(device.state) ?? 0) + 1);
  const states = [...byState].map(([name, count]) => `${count} ${name}`).join(", ") || "none";
  const s = state.scheduler;
  const scheduler = s.connected
    ? `scheduler ${s.policy ?? "?"}: ${s.running} running, ${s.waiting} waiting, ${fixed(s.decisions?.perSecond, 1)} decisions/s (p99 ${fixed(s.decisions?.p99Ms, 1)} ms)`
    : "scheduler: no report lately";
  const last = state.series.at(-1);
  const rates = last
    ? `${fixed(last.throughput, 0)} tokens/s, acceptance ${percent(last.acceptance)}, TTFT p95 ${fixed(last.ttftP95Ms, 0)} ms`
    : "no samples yet";
  return [
    `SpecFleet at ${new Date(state.at).toISOString()} (${age(now - state.at)} ago), as ${state.role}`,
    `devices: ${state.devices.length} (${states}); ${scheduler}`,
    rates,
  ].join("\n");
}

function devicesTable(devices: DashboardDevice[], { limit, now }: RenderOptions): string {
  const rows = [...devices].sort((a, b) => a.role.localeCompare(b.role) * -1 || a.id.localeCompare(b.id));
  const table = newTable([
    "device",
    "role",
    "model",
    "class",
    "state",
    "power",
    "sessions",
    "tokens/s",
    "speed",
    "broker rtt",
    "heartbeat",
  ]);
  for (const d of rows.slice(0, limit)) {
    table.push([
      d.id,
      d.role,
      d.model,
      d.deviceClass,
      d.draining && d.state !== "draining" ? `${d.state} (draining)` : d.state,
      d.power.level === null ? d.power.source : `${d.power.source} ${Math.round(d.power.level * 100)}%`,
      `${d.activeSessions}/${d.maxSessions}`,
      fixed(d.tokensPerSecond, 1),
      speed(d),
      d.brokerRttMs === null ? "–" : `${d.brokerRttMs.toFixed(1)} ms`,
      `${age(now - d.lastSeenAt)} ago`,
    ]);
  }
  return `Fleet\n${table.toString()}${more(rows.length, limit)}`;
}

function pairsTable(pairs: DashboardPair[], { limit }: RenderOptions): string {
  if (pairs.length === 0) return "Pairs: none in use";
  const rows = [...pairs].sort((a, b) => b.tokensPerSecond - a.tokensPerSecond);
  const table = newTable([
    "drafter → verifier",
    "sessions",
    "acceptance",
    "window",
    "round trip",
    "tokens/s",
    "predicted",
    "achieved",
    "rounds",
  ]);
  for (const p of rows.slice(0, limit)) {
    table.push([
      `${p.drafterId} → ${p.verifierId}`,
      String(p.sessions),
      percent(p.acceptance),
      fixed(p.meanWindow, 1),
      p.roundTripMs === null ? "–" : `${p.roundTripMs.toFixed(1)} ms`,
      fixed(p.tokensPerSecond, 1),
      fixed(p.predictedTokensPerSecond, 1),
      fixed(p.achievedTokensPerSecond, 1),
      String(p.rounds),
    ]);
  }
  return `Pairs\n${table.toString()}${more(rows.length, limit)}`;
}

function sessionsTable(state: DashboardState, { limit }: RenderOptions): string {
  if (state.sessions.length === 0) return "Sessions: none running";
  const table = newTable(["session", "pair", "tokens", "tokens/s", "window", "key / job"]);
  for (const s of state.sessions.slice(0, limit)) {
    table.push([
      s.sessionId,
      `${s.drafterId ?? "alone"} → ${s.verifierId}`,
      `${s.generatedTokens}/${s.maxTokens}`,
      fixed(s.tokensPerSecond, 1),
      s.window === null ? "–" : String(s.window),
      [s.origin?.keyId, s.origin?.jobId].filter(Boolean).join(" / ") || "–",
    ]);
  }
  return `Sessions (${state.scheduler.running} running)\n${table.toString()}${more(state.sessions.length, limit)}`;
}

function queueTable(state: DashboardState, { limit, now }: RenderOptions): string {
  if (state.queue.length === 0) return "Queue: empty";
  const table = newTable(["request", "model", "priority", "waiting"]);
  for (const w of state.queue.slice(0, limit))
    table.push([w.sessionId, w.model, String(w.priority), age(now - w.submittedAt)]);
  return `Queue (${state.scheduler.waiting} waiting)\n${table.toString()}${more(state.queue.length, limit)}`;
}

function movesTable(state: DashboardState, { limit }: RenderOptions): string {
  if (state.moves.length === 0) return "Moves: none yet";
  const table = newTable(["at", "kind", "session", "from → to", "reason"]);
  for (const m of state.moves.slice(-Math.min(limit, 10)).reverse()) {
    const pair = (p: { verifierId: string; drafterId: string | null } | null) =>
      p ? `${p.drafterId ?? "alone"}→${p.verifierId}` : "–";
    table.push([
      new Date(m.at).toISOString().slice(11, 19),
      m.kind,
      m.sessionId,
      `${pair(m.from)} ⇒ ${pair(m.to)}`,
      m.reason.slice(0, 60),
    ]);
  }
  return `Scheduler moves (newest first)\n${table.toString()}`;
}

function newTable(head: string[]): Table.Table {
  return new Table({ head, style: { head: [], border: [], compact: true } });
}

function speed(d: DashboardDevice): string {
  if (d.profile.draftMsPerToken !== undefined) return `${d.profile.draftMsPerToken.toFixed(2)} ms/token`;
  const byWindow = d.profile.verifyMsByWindow;
  if (byWindow?.length) return byWindow.map((w) => `γ${w.window} ${w.ms.toFixed(0)} ms`).join(", ");
  return "–";
}

function more(total: number, limit: number): string {
  return total > limit ? `\n… ${(total - limit).toLocaleString("en")} more (--limit)` : "";
}

function fixed(value: number | null | undefined, digits: number): string {
  return value === null || value === undefined ? "–" : value.toFixed(digits);
}

function percent(value: number | null): string {
  return value === null ? "–" : `${(value * 100).toFixed(0)}%`;
}

function age(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  return s < 60 ? `${s.toFixed(1)} s` : s < 3600 ? `${(s / 60).toFixed(0)} min` : `${(s / 3600).toFixed(1)} h`;
}
