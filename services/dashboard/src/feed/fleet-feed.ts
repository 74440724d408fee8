import type { Subscription } from "nats";
import {
  FleetChanged,
  FleetPageAssembler,
  GatewayJobsReport,
  MetricsReport,
  reportSpeaksForItself,
  RoundReports,
  eachRound,
  SchedulerInsightReport,
  SchedulerMoves,
  type DashboardDelta,
  type DashboardPoint,
  type DashboardRole,
  type DashboardState,
  type PairHistory,
} from "#contracts";
import type { Logger } from "#logging";
import type { FleetMetricsGatherer } from "#metrics";
import { fetchFleetSnapshot, type ContractBus } from "#transport";
import { ChartSampler } from "./chart-sampler.js";
import { FeedState } from "./feed-state.js";
import { PAIR_SAMPLE_MS, PairHistoryStore } from "./pair-history.js";

/** One open stream: told each delta (with only the moves it has not had) and each chart point. */
export interface FeedListener {
  delta(delta: DashboardDelta): void;
  point(point: DashboardPoint): void;
  /** The feed stops (the process shuts down): end the stream, or the HTTP server waits for it. */
  close(): void;
}

export interface FleetFeedOptions {
  /** DASHBOARD_PUSH_MS: a delta at most this often. */
  pushMs: number;
  /** DASHBOARD_SAMPLE_MS: one chart point this often. */
  sampleMs: number;
}

/**
 * The dashboard's one view of the fleet, fed by NATS: the registry's snapshots, the drafters'
 * round reports, the scheduler's insight and moves, the gateways' jobs and every process's
 * metrics (into the gatherer behind `/metrics`). Streams subscribe to its deltas and points.
 */
export class FleetFeed {
  readonly state: FeedState;
  private readonly charts: ChartSampler;
  private readonly history = new PairHistoryStore();
  private readonly listeners = new Map<FeedListener, { moveSeq: number }>();
  private readonly subscriptions: Subscription[] = [];
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly bus: ContractBus,
    readonly gatherer: FleetMetricsGatherer,
    private readonly options: FleetFeedOptions,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.state = new FeedState(now);
    this.charts = new ChartSampler(options.sampleMs);
  }

  start(): void {
    const assembler = new FleetPageAssembler();
    this.subscriptions.push(
      this.bus.subscribe(FleetChanged, "", (page) => {
        const snapshot = assembler.add(page);
        if (snapshot) this.state.applySnapshot(snapshot);
      }),
      this.bus.subscribe(
        RoundReports,
        "",
        eachRound((report) => this.state.addRound(report)),
      ),
      this.bus.subscribe(SchedulerInsightReport, "", (insight) => this.state.applyInsight(insight)),
      this.bus.subscribe(SchedulerMoves, "", (move) => this.state.addMove(move)),
      this.bus.subscribe(GatewayJobsReport, "", (report) => this.state.applyJobs(report.instance, report.jobs)),
      this.bus.subscribe(MetricsReport, "", (report, { from }) => {
        if (reportSpeaksForItself(report, from)) this.gatherer.add(report);
        else
          this.log.warn({ from, actor: report.actor, instance: report.instance }, "refused metrics sent for another");
      }),
    );
    // The registry publishes its snapshot every second anyway; asking shows the devices at once.
    fetchFleetSnapshot(this.bus, 3000).then(
      (snapshot) => this.state.applySnapshot(snapshot),
      (error: unknown) => this.log.info({ err: String(error) }, "no fleet snapshot yet; waiting for the registry's"),
    );
    this.every(this.options.pushMs, () => this.push());
    this.every(this.options.sampleMs, () => this.sample());
    this.every(PAIR_SAMPLE_MS, () => this.history.sample(this.now(), this.state.state("viewer").state.pairs));
  }

  /** The whole state for one caller, charts included; `listen` with its `moveSeq` to follow it. */
  snapshot(role: DashboardRole): { state: DashboardState; moveSeq: number } {
    const { state, moveSeq } = this.state.state(role);
    return { state: { ...state, series: this.charts.series() }, moveSeq };
  }

  /** Follows the feed from a snapshot whose last move was `moveSeq`; returns how to stop. */
  listen(listener: FeedListener, moveSeq: number): () => void {
    this.listeners.set(listener, { moveSeq });
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  pairHistory(verifierId: string, drafterId: string): PairHistory | null {
    return this.history.history(verifierId, drafterId);
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    for (const listener of [...this.listeners.keys()]) this.tell(listener, () => listener.close());
    this.listeners.clear();
  }

  private push(): void {
    const delta = this.state.delta();
    if (delta === null) return;
    for (const [listener, seen] of this.listeners) {
      const moves = delta.moves.filter((m) => m.seq > seen.moveSeq);
      if (moves.length > 0) seen.moveSeq = moves[moves.length - 1]!.seq;
      const { moves: _numbered, ...rest } = delta;
      const own: DashboardDelta = moves.length > 0 ? { ...rest, moves: moves.map((m) => m.move) } : rest;
      if (Object.keys(own).length > 1) this.tell(listener, () => listener.delta(own));
    }
  }

  private sample(): void {
    const point = this.charts.sample(this.now(), this.gatherer.reports(), this.state.counts());
    for (const listener of this.listeners.keys()) this.tell(listener, () => listener.point(point));
  }

  /** A listener that throws (a closed socket) is dropped, never the feed. */
  private tell(listener: FeedListener, send: () => void): void {
    try {
      send();
    } catch (error) {
      this.log.warn({ err: String(error) }, "dropped a stream that failed");
      this.listeners.delete(listener);
    }
  }

  private every(ms: number, run: () => void): void {
    const timer = setInterval(() => {
      try {
        run();
      } catch (error) {
        this.log.error({ err: error instanceof Error ? error.stack : String(error) }, "dashboard feed tick failed");
      }
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }
}
