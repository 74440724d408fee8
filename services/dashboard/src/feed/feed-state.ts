import { INSIGHT_KEEPALIVE_MS } from "#contracts";
import type {
  DashboardDelta,
  DashboardDevice,
  DashboardRole,
  DashboardScheduler,
  DashboardSession,
  DashboardState,
  FleetSnapshot,
  JobProgress,
  RoundReport,
  SchedulerInsight,
  SchedulerMove,
} from "#contracts";
import { DeviceDiff, deviceRow } from "./device-rows.js";
import { PairBoard } from "./pair-board.js";

/** Moves kept (the newest), as the page keeps them. */
export const MOVES_KEPT = 500;
/** The scheduler counts as connected while its last insight is younger than this (an idle one sends it every INSIGHT_KEEPALIVE_MS). */
export const INSIGHT_FRESH_MS = 2.5 * INSIGHT_KEEPALIVE_MS;
/** A gateway's jobs are dropped when it has not reported them for this long (it stops once none runs). */
export const JOBS_FRESH_MS = 5000;

/** A scheduler move with its arrival number: a stream sends each one once. */
export interface NumberedMove {
  seq: number;
  move: SchedulerMove;
}

/** A delta whose moves still carry their numbers (each listener takes the ones it has not had). */
export type NumberedDelta = Omit<DashboardDelta, "moves"> & { moves: NumberedMove[] };

/**
 * Everything the dashboard knows about the fleet, as the feed's messages leave it: devices from
 * the registry's snapshots, pairs and sessions' figures from round reports, the scheduler's
 * insight and moves, the gateways' jobs. No I/O: `FleetFeed` feeds it, HTTP reads it.
 */
export class FeedState {
  private devices: DashboardDevice[] = [];
  private snapshotOrder: { epoch: number; seq: number } | null = null;
  private devicesChanged = false;
  private insight: SchedulerInsight | null = null;
  private insightAt: number | null = null;
  private readonly moves: NumberedMove[] = [];
  private moveSeq = 0;
  private readonly jobs = new Map<string, { at: number; jobs: JobProgress[] }>();
  readonly board = new PairBoard();
  private readonly deviceDiff = new DeviceDiff();
  private readonly sent = new Map<string, string>();
  private sentMoveSeq = 0;

  constructor(private readonly now: () => number = Date.now) {}

  applySnapshot(snapshot: FleetSnapshot): void {
    const last = this.snapshotOrder;
    if (last && snapshot.epoch === last.epoch && snapshot.seq <= last.seq) return;
    this.snapshotOrder = { epoch: snapshot.epoch, seq: snapshot.seq };
    this.devices = snapshot.workers.map(deviceRow);
    this.devicesChanged = true;
  }

  addRound(report: RoundReport): void {
    this.board.add(this.now(), report);
  }

  applyInsight(insight: SchedulerInsight): void {
    this.insight = insight;
    this.insightAt = this.now();
  }

  addMove(move: SchedulerMove): void {
    this.moves.push({ seq: ++this.moveSeq, move });
    if (this.moves.length > MOVES_KEPT) this.moves.splice(0, this.moves.length - MOVES_KEPT);
  }

  applyJobs(instance: string, jobs: JobProgress[]): void {
    this.jobs.set(instance, { at: this.now(), jobs });
  }

  /** The whole state for one caller, and the number of the last move in it. */
  state(role: DashboardRole): { state: Omit<DashboardState, "series">; moveSeq: number } {
    const now = this.now();
    return {
      moveSeq: this.moveSeq,
      state: {
        at: now,
        role,
        devices: this.devices,
        pairs: this.board.list(now, this.insight?.sessions ?? []),
        sessions: this.sessionRows(now),
        queue: this.insight?.queue ?? [],
        jobs: this.jobList(now),
        moves: this.moves.map((m) => m.move),
        scheduler: this.schedulerView(now),
      },
    };
  }

  /** What changed since the previous delta (null: nothing); lists are compared with what was last sent. */
  delta(): NumberedDelta | null {
    const now = this.now();
    const delta: NumberedDelta = { at: now, moves: this.moves.filter((m) => m.seq > this.sentMoveSeq) };
    this.sentMoveSeq = this.moveSeq;
    if (this.devicesChanged) {
      this.devicesChanged = false;
      const { changed, removed } = this.deviceDiff.diff(this.devices);
      if (changed.length > 0) delta.devices = changed;
      if (removed.length > 0) delta.removedDevices = removed;
    }
    const running = new Set((this.insight?.sessions ?? []).map((s) => s.sessionId));
    this.board.prune(now, running);
    this.ifChanged("pairs", this.board.list(now, this.insight?.sessions ?? []), (v) => (delta.pairs = v));
    this.ifChanged("sessions", this.sessionRows(now), (v) => (delta.sessions = v));
    this.ifChanged("queue", this.insight?.queue ?? [], (v) => (delta.queue = v));
    this.ifChanged("jobs", this.jobList(now), (v) => (delta.jobs = v));
    this.ifChanged("scheduler", this.schedulerView(now), (v) => (delta.scheduler = v));
    const empty = Object.keys(delta).length === 2 && delta.moves.length === 0;
    return empty ? null : delta;
  }

  /** For the charts: what the scheduler says runs and waits, and the verifiers' own tokens/s. */
  counts(): { queueDepth: number; sessions: number; telemetryTokensPerSecond: number } {
    let telemetryTokensPerSecond = 0;
    for (const device of this.devices)
      if (device.role === "verifier" && device.state !== "lost") telemetryTokensPerSecond += device.tokensPerSecond;
    return {
      queueDepth: this.insight?.waiting ?? 0,
      sessions: this.insight?.running ?? 0,
      telemetryTokensPerSecond,
    };
  }

  device(id: string): DashboardDevice | undefined {
    return this.devices.find((d) => d.id === id);
  }

  private sessionRows(now: number): DashboardSession[] {
    return (this.insight?.sessions ?? []).map((session) => ({
      ...session,
      ...this.board.session(now, session.sessionId),
    }));
  }

  private jobList(now: number): JobProgress[] {
    const list: JobProgress[] = [];
    for (const [instance, { at, jobs }] of this.jobs) {
      if (at < now - JOBS_FRESH_MS) this.jobs.delete(instance);
      else list.push(...jobs);
    }
    return list.sort((a, b) => a.createdAt - b.createdAt);
  }

  private schedulerView(now: number): DashboardScheduler {
    const insight = this.insight;
    return {
      connected: this.insightAt !== null && now - this.insightAt < INSIGHT_FRESH_MS,
      lastInsightAt: insight?.at ?? null,
      policy: insight?.policy ?? null,
      decisions: insight?.decisions ?? null,
      running: insight?.running ?? 0,
      waiting: insight?.waiting ?? 0,
    };
  }

  private ifChanged<T>(name: string, value: T, set: (value: T) => void): void {
    const json = JSON.stringify(value);
    if (this.sent.get(name) === json) return;
    this.sent.set(name, json);
    set(value);
  }
}
