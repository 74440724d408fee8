import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from "@nestjs/common";
import { INSIGHT_KEEPALIVE_MS, SchedulerInsightReport } from "#contracts";
import type { SchedulerConfig } from "#config";
import type { Logger } from "#logging";
import type { SchedulerMetrics } from "#metrics";
import type { ContractBus } from "#transport";
import { AdmissionService } from "../admission/admission.service.js";
import { FleetViewService } from "../fleet/fleet-view.service.js";
import type { SessionTable } from "../sessions/session-table.js";
import { SCHEDULER_CONFIG, SCHEDULER_LOGGER, SCHEDULER_METRICS, SESSION_TABLE, WORKER_BUS } from "../tokens.js";
import { buildInsight, countByModel } from "./insight-builder.js";
import { PlacementInsight } from "./placement-insight.js";

/**
 * Every SCHEDULER_INSIGHT_MS: sets the running and waiting gauges by model, forgets the
 * predictions of sessions that are gone, and publishes the scheduler's insight
 * (`SchedulerInsightReport`) when it changed, or when INSIGHT_KEEPALIVE_MS passed without one
 * (the dashboard counts the scheduler connected while its insight is fresh). An idle scheduler
 * sends nothing else: each message wakes NATS and the dashboard. Off the hot path: a timer, never a round.
 */
@Injectable()
export class InsightPublisher implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;
  /** Models the gauges name (a handful: the fleet's target models). */
  private readonly models = new Set<string>();

  constructor(
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
    @Inject(SCHEDULER_LOGGER) private readonly log: Logger,
    @Inject(WORKER_BUS) private readonly bus: Pick<ContractBus, "publish">,
    @Inject(SESSION_TABLE) private readonly table: SessionTable,
    @Inject(SCHEDULER_METRICS) private readonly metrics: SchedulerMetrics,
    private readonly admission: AdmissionService,
    private readonly fleet: FleetViewService,
    private readonly insight: PlacementInsight,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.publish(), this.config.SCHEDULER_INSIGHT_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The last insight sent (without its time) and when: an unchanged one waits for the keepalive. */
  private lastSent: { content: string; at: number } | null = null;

  /** One insight, now, unless it is the same as the last one sent and that one is still fresh. */
  publish(): void {
    const now = Date.now();
    const sessions = this.table.all();
    const queue = this.admission.waitingLine();
    this.insight.retain((id) => this.table.has(id) || this.admission.isWaiting(id));
    this.setGauges(sessions, queue);
    const report = buildInsight({
      at: now,
      policy: this.insight.policyName,
      decisions: this.insight.decisionSummary(now),
      sessions,
      running: sessions.length,
      queue,
      waiting: queue.length,
      rates: (id) => this.insight.rates(id),
    });
    const content = JSON.stringify({ ...report, at: 0 });
    if (this.lastSent?.content === content && now - this.lastSent.at < INSIGHT_KEEPALIVE_MS) return;
    try {
      this.bus.publish(SchedulerInsightReport, "", report);
      this.lastSent = { content, at: now };
    } catch (err) {
      this.log.debug({ err: String(err) }, "insight not published");
    }
  }

  /** Every model the fleet serves (or that ran here) gets both gauges, 0 included: an idle model is 0, not absent. */
  private setGauges(sessions: Iterable<{ job: { model: string } }>, queue: Iterable<{ job: { model: string } }>): void {
    const running = countByModel(sessions);
    const waiting = countByModel(queue);
    for (const { model } of this.fleet.placeable()) this.models.add(model);
    for (const model of [...running.keys(), ...waiting.keys()]) this.models.add(model);
    for (const model of this.models) {
      this.metrics.requestsRunning.set({ model }, running.get(model) ?? 0);
      this.metrics.requestsWaiting.set({ model }, waiting.get(model) ?? 0);
    }
  }
}
