import { performance } from "node:perf_hooks";
import { Inject, Injectable } from "@nestjs/common";
import type { SchedulerConfig } from "#config";
import type { SchedulerMetrics } from "#metrics";
import type { PairingDecision, PairingPolicy, PairingTuning, WorkerView, PairingContext } from "#pairing";
import type { PlacedSession } from "../sessions/session-table.js";
import { PAIRING_TUNING, SCHEDULER_CONFIG, SCHEDULER_METRICS } from "../tokens.js";
import { DecisionStats, type DecisionSummary } from "./decision-stats.js";
import { PredictionLedger, type SessionRates } from "./prediction-ledger.js";
import { predictedRate, predictedRateInPlace } from "./predicted-rate.js";

const OUTCOMES = { pair: "paired", alone: "alone", wait: "queued", none: "refused" } as const;

/**
 * What the scheduler records of its own decisions, for operators: how long the pairing policy
 * takes and what it decides (placing a request, a rebalance look), how long requests waited, and
 * for every running session the rate load-aware predicted for where it runs against the rate it
 * achieves (`PredictionLedger`). In memory only; nothing here awaits, and a round costs one map
 * update (the round reports the scheduler receives anyway).
 */
@Injectable()
export class PlacementInsight {
  private readonly decisions = new DecisionStats();
  private readonly ledger = new PredictionLedger();
  /** The rate predicted for each placing decision of a pass, until the pass's caller takes it. */
  private readonly predictions = new WeakMap<PairingDecision, number>();
  private readonly placeDuration;
  private readonly rebalanceDuration;
  private readonly ratio;
  readonly policyName: string;

  constructor(
    @Inject(SCHEDULER_CONFIG) config: Pick<SchedulerConfig, "PAIRING_POLICY">,
    @Inject(PAIRING_TUNING) private readonly tuning: PairingTuning,
    @Inject(SCHEDULER_METRICS) private readonly metrics: SchedulerMetrics,
  ) {
    this.policyName = config.PAIRING_POLICY;
    // Bound once: a decision then costs no label lookup.
    this.placeDuration = metrics.decisionDuration.labels(this.policyName, "place");
    this.rebalanceDuration = metrics.decisionDuration.labels(this.policyName, "rebalance");
    this.ratio = metrics.predictionRatio.labels(this.policyName);
  }

  /**
   * The policy as a queue pass calls it: each decision (one waiting request) is timed and counted
   * by outcome, and a placement's predicted rate kept for `predictionOf` (on the views the policy
   * saw, before the pass took the slots). The policy is called once per question, as before.
   */
  observe(policy: PairingPolicy): PairingPolicy {
    return (views, request, context) => {
      const started = performance.now();
      const decision = policy(views, request, context);
      const ms = performance.now() - started;
      this.decisions.record(Date.now(), ms);
      this.placeDuration.observe(ms / 1000);
      this.metrics.decisions.inc({ policy: this.policyName, outcome: OUTCOMES[decision.kind] });
      const rate = predictedRate(decision, views, context ?? {}, this.tuning.loadAware);
      if (rate !== null) this.predictions.set(decision, rate);
      return decision;
    };
  }

  /** The rate predicted when `decision` was made by an observed policy; null if none. */
  predictionOf(decision: PairingDecision): number | null {
    return this.predictions.get(decision) ?? null;
  }

  /**
   * The policy as an attach pass calls it (not timed: not a placement): the predicted rate of
   * each `pair` it answers, in order. `attachDrafters` turns each `pair` into one attachment, in
   * the same order, so the n-th rate is the n-th attachment's.
   */
  predictingPairs(policy: PairingPolicy): { policy: PairingPolicy; rates: Array<number | null> } {
    const rates: Array<number | null> = [];
    const predicting: PairingPolicy = (views, request, context) => {
      const decision = policy(views, request, context);
      if (decision.kind === "pair") rates.push(predictedRate(decision, views, context ?? {}, this.tuning.loadAware));
      return decision;
    };
    return { policy: predicting, rates };
  }

  /** One rebalance look (libs/pairing `rebalanceMoves`), timed as a decision. */
  timeRebalance<T>(look: () => T): T {
    const started = performance.now();
    const result = look();
    const ms = performance.now() - started;
    this.decisions.record(Date.now(), ms);
    this.rebalanceDuration.observe(ms / 1000);
    return result;
  }

  /** A request (or a resumed session) was placed; a new request's wait since submission is observed. */
  placed(session: PlacedSession, resume: boolean, predicted: number | null): void {
    const now = Date.now();
    if (!resume)
      this.metrics.queueTime.observe({ model: session.job.model }, Math.max(0, now - session.job.submittedAt) / 1000);
    this.observeRatio(this.ledger.predict(session.job.sessionId, predicted, now, null));
  }

  /** It runs elsewhere now (re-paired, a drafter attached or lost) with `tokens` committed. */
  repaired(sessionId: string, predicted: number | null, tokens: number | null): void {
    this.observeRatio(this.ledger.predict(sessionId, predicted, Date.now(), tokens));
  }

  /** Predicts a running session where it runs now (its own slots not counted as load). */
  predictInPlace(
    place: { verifierId: string; drafterId: string | null },
    views: readonly WorkerView[],
    context: PairingContext,
  ): number | null {
    return predictedRateInPlace(place, views, context, this.tuning.loadAware);
  }

  /** Its committed tokens (after the prompt), from an open reply or a round report. */
  progressed(sessionId: string, tokens: number): void {
    this.ledger.progressed(sessionId, tokens, Date.now());
  }

  ended(sessionId: string, tokens: number): void {
    this.observeRatio(this.ledger.ended(sessionId, tokens, Date.now()));
  }

  decisionSummary(now: number): DecisionSummary {
    return this.decisions.summary(now);
  }

  rates(sessionId: string): SessionRates {
    return this.ledger.rates(sessionId);
  }

  /** Forgets sessions that are neither running nor waiting. */
  retain(isKnown: (sessionId: string) => boolean): void {
    this.ledger.retain(isKnown);
  }

  private observeRatio(ratio: number | null): void {
    if (ratio !== null && Number.isFinite(ratio)) this.ratio.observe(ratio);
  }
}
