import { batchingPolicy, type BatchingPolicy } from "#batching";
import type { SimVerifier } from "./fleet.js";
import { meanRttMs, oneWayMs } from "./network.js";
import { Kind, newRound, type DraftJob, type Round, type Verifying, type World } from "./world.js";

/**
 * The verifiers: each one processor evaluating batches of waiting rounds, picked by the
 * production batching policy, one pass each; (fused) alternating with batches of its own
 * drafter's drafts by age. A verified round commits its accepted tokens and one more, streams
 * them to the client, and sends the verdict to the drafter (or queues the next alone round).
 */
export class VerifierSide implements Verifying {
  private readonly pending = new Map<SimVerifier, Round[]>();
  private readonly batching: BatchingPolicy;

  constructor(private readonly world: World) {
    this.batching = batchingPolicy(world.config.policies.batching, () => world.now);
    for (const verifier of world.fleet.verifiers) this.pending.set(verifier, []);
  }

  enqueueRound(verifier: SimVerifier, round: Round): void {
    round.arrivedAt = this.world.now;
    this.pending.get(verifier)!.push(round);
    this.world.metrics.verifierQueue(verifier, this.world.now, this.pending.get(verifier)!.length);
    if (!verifier.busy) this.startWork(verifier);
  }

  /** The verifier's processor takes its next work: a batch of rounds, or (fused) a draft. */
  startWork(verifier: SimVerifier): void {
    if (verifier.busy) return;
    const { world } = this;
    const rounds = this.pending.get(verifier)!;
    const drafts = world.drafting.hostedDrafts(verifier);
    if (drafts && drafts.length > 0 && (rounds.length === 0 || drafts[0]!.queuedAt < oldest(rounds))) {
      // Fused: the drafter model drafts for every waiting session in one batch, a step per
      // token of the longest window (as on an accelerator); prompts are prefilled first.
      const jobs = drafts.splice(0, drafts.length);
      const profile = verifier.fused!.profile;
      let prefillMs = 0;
      let longest = 0;
      for (const job of jobs) {
        world.drafting.draft(job);
        prefillMs += job.prefillTokens * profile.prefillMsPerToken;
        longest = Math.max(longest, job.session.round!.window);
      }
      const ms = prefillMs + longest * profile.draftMsPerToken + profile.roundOverheadMs;
      for (const job of jobs) job.session.round!.draftMs = ms - prefillMs;
      verifier.busy = true;
      verifier.busyMs += ms;
      world.schedule({ t: world.now + ms, seq: 0, kind: Kind.HostedDraftsDone, verifier, jobs });
      return;
    }
    if (rounds.length === 0) return;
    const batch = this.batching(rounds, verifier.maxBatch) as Round[];
    const chosen = new Set(batch);
    this.pending.set(
      verifier,
      rounds.filter((r) => !chosen.has(r)),
    );
    world.metrics.verifierQueue(verifier, world.now, rounds.length - batch.length);
    let decodeTokens = 0;
    let prefillTokens = 0;
    for (const round of batch) {
      prefillTokens += round.prefillTokens;
      decodeTokens += round.window + 1;
    }
    const { prefillMsPerToken, roundOverheadMs, batchOverheadMs } = verifier.profile;
    const ms =
      verifier.cost(decodeTokens) +
      prefillTokens * prefillMsPerToken +
      batch.length * roundOverheadMs +
      batchOverheadMs;
    for (const round of batch) {
      round.verifyMs = ms;
      round.batchTokens = decodeTokens;
    }
    verifier.busy = true;
    verifier.busyMs += ms;
    world.schedule({ t: world.now + ms, seq: 0, kind: Kind.BatchDone, verifier, batch });
  }

  /** Fused: the batch of drafts is done; its rounds wait for the same processor. */
  hostedDraftsDone(verifier: SimVerifier, jobs: DraftJob[]): void {
    for (const { session } of jobs) {
      session.round!.sentMs = this.world.now;
      session.round!.arrivedAt = this.world.now;
      this.pending.get(verifier)!.push(session.round!);
    }
    this.world.metrics.verifierQueue(verifier, this.world.now, this.pending.get(verifier)!.length);
    verifier.busy = false;
    this.startWork(verifier);
  }

  batchDone(verifier: SimVerifier, batch: Round[]): void {
    // Still busy while the batch's rounds are handed out, so the rounds they requeue (sessions
    // decoding alone) wait for the next batch together instead of starting one each.
    for (const round of batch) this.verified(round);
    verifier.busy = false;
    this.startWork(verifier);
  }

  /** A round verified: its tokens are committed and streamed; the drafter hears the verdict. */
  private verified(round: Round): void {
    const { world } = this;
    const { session } = round;
    const request = session.request;
    const accepted = Math.min(round.runLength, round.window);
    const committed = Math.min(accepted + 1, request.outputTokens - session.generated);
    session.generated += committed;
    world.metrics.round(round.window, accepted, session.drafter !== null);
    // Tokens reach the client over the verifier's leg to the broker (the gateway is beside it).
    const deliveredMs = world.now + meanRttMs(session.verifier.link) / 2;
    if (session.firstTokenMs < 0) session.firstTokenMs = deliveredMs;
    if (session.generated >= request.outputTokens) return world.finish(session, deliveredMs);
    if (session.drafter) {
      session.round = round;
      // Fused: the verdict is on the same machine.
      if (session.drafter.host) return world.drafting.verdict(session);
      world.schedule({
        t:
          world.now +
          oneWayMs(
            session.verifier.link,
            session.drafter.link,
            64 + world.config.bytesPerToken * committed,
            world.draws.network,
          ),
        seq: 0,
        kind: Kind.VerdictArrives,
        session,
      });
      return;
    }
    if (session.attach) {
      const drafter = session.attach;
      session.attach = null;
      world.drafting.attach(session, drafter, request.promptTokens + session.generated);
      return;
    }
    this.enqueueRound(session.verifier, newRound(session, 0, 0, world.now));
  }
}

function oldest(rounds: readonly Round[]): number {
  let min = Number.POSITIVE_INFINITY;
  for (const round of rounds) if (round.arrivedAt < min) min = round.arrivedAt;
  return min;
}
