import type { DashboardPair, RoundReport, SchedulerInsight } from "#contracts";
import { RoundWindow } from "./round-window.js";

/** A pair without a round this long, and without a session, leaves the board. */
export const PAIR_IDLE_MS = 60_000;

type InsightSession = SchedulerInsight["sessions"][number];

interface PairEntry {
  verifierId: string;
  drafterId: string;
  rounds: RoundWindow;
}

/**
 * The drafter–verifier pairs at work, from the drafters' round reports (one per round) and the
 * scheduler's sessions: each pair's figures over its last 10 s, its rounds since the dashboard
 * started, and what load-aware predicted for its sessions against what they achieved; and each
 * session's last window and tokens per second.
 */
export class PairBoard {
  private readonly pairs = new Map<string, PairEntry>();
  private readonly sessions = new Map<string, RoundWindow>();

  add(at: number, report: RoundReport): void {
    const key = pairKey(report.verifierId, report.drafterId);
    let pair = this.pairs.get(key);
    if (!pair) {
      pair = { verifierId: report.verifierId, drafterId: report.drafterId, rounds: new RoundWindow(at) };
      this.pairs.set(key, pair);
    }
    pair.rounds.add(at, report);
    let session = this.sessions.get(report.sessionId);
    if (!session) this.sessions.set(report.sessionId, (session = new RoundWindow(at)));
    session.add(at, report);
  }

  /** The pairs with a round in the last minute or a session now, busiest first. */
  list(now: number, sessions: readonly InsightSession[]): DashboardPair[] {
    const bySessionPair = new Map<string, InsightSession[]>();
    for (const session of sessions) {
      if (session.drafterId === null) continue;
      const key = pairKey(session.verifierId, session.drafterId);
      bySessionPair.set(key, [...(bySessionPair.get(key) ?? []), session]);
    }
    const keys = new Set([...this.pairs.keys(), ...bySessionPair.keys()]);
    const list: DashboardPair[] = [];
    for (const key of keys) {
      const entry = this.pairs.get(key);
      const onPair = bySessionPair.get(key) ?? [];
      if (onPair.length === 0 && (entry?.rounds.lastAt ?? 0) < now - PAIR_IDLE_MS) {
        this.pairs.delete(key);
        continue;
      }
      const [verifierId, drafterId] = entry ? [entry.verifierId, entry.drafterId] : splitKey(key);
      const stats = entry?.rounds.stats(now);
      list.push({
        verifierId,
        drafterId,
        sessions: onPair.length,
        acceptance: stats?.acceptance ?? null,
        meanWindow: stats?.meanWindow ?? null,
        windows: stats?.windows ?? {},
        roundTripMs: stats?.roundTripMs ?? null,
        tokensPerSecond: stats?.tokensPerSecond ?? 0,
        rounds: entry?.rounds.total ?? 0,
        predictedTokensPerSecond: meanOf(onPair.map((s) => s.predictedTokensPerSecond)),
        achievedTokensPerSecond: meanOf(onPair.map((s) => s.achievedTokensPerSecond)),
        lastRoundAt: entry?.rounds.lastAt ?? null,
      });
    }
    return list.sort((a, b) => b.tokensPerSecond - a.tokensPerSecond || b.sessions - a.sessions);
  }

  /** A session's last window and its committed tokens/s over its last 10 s (nulls before its first round). */
  session(now: number, sessionId: string): { window: number | null; tokensPerSecond: number | null } {
    const rounds = this.sessions.get(sessionId);
    if (!rounds) return { window: null, tokensPerSecond: null };
    return { window: rounds.lastWindow, tokensPerSecond: rounds.stats(now).tokensPerSecond };
  }

  /** Forgets sessions the scheduler no longer lists and without a round in the last minute. */
  prune(now: number, running: ReadonlySet<string>): void {
    for (const [id, rounds] of this.sessions)
      if (!running.has(id) && (rounds.lastAt ?? 0) < now - PAIR_IDLE_MS) this.sessions.delete(id);
  }
}

function pairKey(verifierId: string, drafterId: string): string {
  return `${verifierId}\u0000${drafterId}`;
}

function splitKey(key: string): [string, string] {
  const [verifierId, drafterId] = key.split("\u0000");
  return [verifierId!, drafterId!];
}

function meanOf(values: readonly (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0) / known.length;
}
