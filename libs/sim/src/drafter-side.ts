import { RoundEstimator, windowPolicy } from "#window";
import type { SimDrafter, SimVerifier } from "./fleet.js";
import { oneWayMs } from "./network.js";
import { Kind, newRound, type DraftJob, type Drafting, type Session, type World } from "./world.js";

/**
 * The drafters: each one processor drafting its sessions' windows in turn (or, fused, drafting
 * on its verifier's processor), with the production window policy and the pair's shared
 * `RoundEstimator`; a verdict is observed as a real drafter reports it, then the session drafts
 * again, moves, or is handed back to its verifier.
 */
export class DrafterSide implements Drafting {
  private readonly jobs = new Map<SimDrafter, DraftJob[]>();
  /** Fused: drafts waiting for their verifier's processor. */
  private readonly hosted = new Map<SimVerifier, DraftJob[]>();
  /** Per drafter–verifier pair: what its sessions have learnt, shared as a real drafter shares it. */
  private readonly estimators = new Map<string, RoundEstimator>();
  private readonly acceptanceDraw: () => number;

  constructor(private readonly world: World) {
    for (const drafter of world.fleet.drafters) {
      if (drafter.host) this.hosted.set(drafter.host, []);
      else this.jobs.set(drafter, []);
    }
    const draw = world.draws.acceptance;
    this.acceptanceDraw = () => draw.next();
  }

  attach(session: Session, drafter: SimDrafter, prefillTokens: number): void {
    session.drafter = drafter;
    const key = `${drafter.id} ${session.verifier.id}`;
    let estimator = this.estimators.get(key);
    if (!estimator) {
      estimator = new RoundEstimator();
      estimator.prime(session.verifier.view.profile!.verifyMsByWindow!);
      this.estimators.set(key, estimator);
    }
    session.estimator = estimator;
    const { policy, window, maxWindow, stopThreshold } = this.world.config.policies.window;
    session.window = windowPolicy(policy, window, maxWindow, estimator, { stopThreshold });
    this.queue(drafter, { session, prefillTokens, queuedAt: this.world.now });
  }

  hostedDrafts(verifier: SimVerifier): DraftJob[] | undefined {
    return this.hosted.get(verifier);
  }

  private queue(drafter: SimDrafter, job: DraftJob): void {
    const device = drafter.host;
    if (device) {
      // Fused: the drafter shares its verifier's processor.
      this.hosted.get(device)!.push(job);
      if (!device.busy) this.world.verifying.startWork(device);
      return;
    }
    this.jobs.get(drafter)!.push(job);
    if (!drafter.busy) this.start(drafter);
  }

  draft(job: DraftJob): number {
    const { session } = job;
    const drafter = session.drafter!;
    const remaining = session.request.outputTokens - session.generated;
    const policy = session.window!;
    let window = Math.max(0, Math.min(policy.next(), remaining - 1));
    const runLength = drafter.acceptance.runLength(this.acceptanceDraw, window);
    if (policy.keepDrafting && window > 0) {
      let drafted = 0;
      while (drafted < window && policy.keepDrafting(drafted + 1, drafter.acceptance.probability(drafted))) drafted++;
      window = Math.max(1, drafted);
    }
    // The window's drafting is what the drafter reports for the round; a prefill comes first.
    const draftMs = window * drafter.profile.draftMsPerToken + drafter.profile.roundOverheadMs;
    session.round = newRound(session, window, Math.min(runLength, window), this.world.now);
    session.round.draftMs = draftMs;
    return job.prefillTokens * drafter.profile.prefillMsPerToken + draftMs;
  }

  private start(drafter: SimDrafter): void {
    if (drafter.busy) return;
    const queue = this.jobs.get(drafter)!;
    const job = queue.shift();
    if (!job) return;
    const ms = this.draft(job);
    drafter.busy = true;
    drafter.busyMs += ms;
    this.world.schedule({ t: this.world.now + ms, seq: 0, kind: Kind.DraftDone, job });
  }

  draftDone(job: DraftJob): void {
    const { world } = this;
    const { session } = job;
    const drafter = session.drafter!;
    const round = session.round!;
    round.sentMs = world.now;
    drafter.busy = false;
    world.schedule({
      t:
        world.now +
        oneWayMs(
          drafter.link,
          session.verifier.link,
          64 + world.config.bytesPerToken * round.window,
          world.draws.network,
        ),
      seq: 0,
      kind: Kind.RoundArrives,
      session,
    });
    this.start(drafter);
  }

  verdict(session: Session): void {
    const { world } = this;
    const round = session.round!;
    const drafter = session.drafter!;
    const observation = {
      window: round.window,
      accepted: Math.min(round.runLength, round.window),
      draftMs: round.draftMs,
      verifyMs: round.verifyMs,
      networkMs: Math.max(0, world.now - round.sentMs - round.verifyMs),
      batchTokens: round.batchTokens,
    };
    session.window!.observe(observation);
    this.reportLink(session);
    if (session.move) return world.rebalancing.carryOut(session);
    const { policy, handBack } = world.config.policies.window;
    if (policy === "adaptive" && handBack && session.window!.handBack()) {
      // Speculating costs more than it gains here: the verifier goes on alone.
      world.metrics.handedBack();
      this.release(session);
      world.verifying.enqueueRound(session.verifier, newRound(session, 0, 0, world.now));
      return;
    }
    this.queue(drafter, { session, prefillTokens: 0, queuedAt: world.now });
  }

  /**
   * What the drafter tells the scheduler of this verifier after the round, as a real drafter's
   * telemetry `links` does (its estimator's network share and acceptance, and its rounds): the
   * link's new figures replace its old ones in the pair statistics. (Only a window policy that
   * learns, adaptive, feeds the estimator, as on a real drafter.)
   */
  private reportLink(session: Session): void {
    const estimator = session.estimator!;
    const estimates = estimator.estimates();
    if (!estimates) return;
    this.world.cells[session.verifier.cell]!.placement.report(session.drafter!.id, {
      verifierId: session.verifier.id,
      roundTripMs: estimates.roundTripMs,
      acceptance: estimates.acceptance,
      rounds: estimator.observedRounds,
    });
  }

  /** The session goes on alone: its drafter's slot frees. */
  private release(session: Session): void {
    const drafter = session.drafter;
    if (!drafter) return;
    drafter.view.activeSessions--;
    session.drafter = null;
    session.window = null;
    session.estimator = null;
    this.world.attachDrafters(session.verifier.cell);
  }
}
