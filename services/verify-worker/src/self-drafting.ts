import type { ReplyOf, VerifyRound } from "#contracts";
import { ModelSession, openGreedyDraft, type DraftedWindow, type DraftSequence } from "#llama";
import { GREEDY, isGreedy, type Distribution } from "#speculation";
import { fixedWindow, RoundEstimator, windowPolicy, type WindowPolicy } from "#window";
import type { WorkerModel } from "#worker";
import type { VerifierSession } from "./verifier-session.js";

type VerifyReply = ReplyOf<typeof VerifyRound>;

/** One self-drafted window: the draft tokens, q for a sampled request, and what drafting took. */
export interface SelfDraft {
  tokens: number[];
  q: Distribution[];
  draftMs: number;
}

/**
 * The verifier drafting for itself (fused execution) with its co-located draft model
 * (SELF_DRAFT_MODEL), for sessions no remote drafter follows: each round drafts a window on the
 * draft model's own sequence, then verifies it as a remote round would be (batched, journalled,
 * published). No network, no audit (the draft model is the verifier's own). The window is
 * adaptive, from estimates shared by every session of this verifier (primed with its verify
 * profile); a seeded sampled request keeps the first window, so its text depends on its seed only.
 */
export class SelfDrafter {
  private readonly estimator = new RoundEstimator();

  constructor(
    private readonly model: NonNullable<WorkerModel["selfDraft"]>,
    profile: WorkerModel["profile"],
    private readonly window: number,
    private readonly maxWindow: number,
  ) {
    if (profile?.verifyMsByWindow) this.estimator.prime(profile.verifyMsByWindow);
  }

  /**
   * Starts following a session from its committed tokens: on the native runner for a greedy
   * request when there is one, else on the draft model's node-llama-cpp context.
   */
  async follow(session: VerifierSession): Promise<SelfDraftedSession> {
    const committed = session.model.ledger.committedTokens();
    const draftModel = isGreedy(session.sampling)
      ? await openGreedyDraft(this.model.native, this.model.context, committed)
      : await ModelSession.open(this.model.context, committed);
    const seeded = session.sampling.seeded && !isGreedy(session.sampling);
    const policy = seeded
      ? fixedWindow(this.window)
      : windowPolicy("adaptive", this.window, this.maxWindow, this.estimator);
    return new SelfDraftedSession(draftModel, policy, session);
  }
}

/** One session's drafting at its verifier: its draft sequence and its window policy. */
export class SelfDraftedSession {
  constructor(
    private readonly draftModel: DraftSequence,
    private readonly policy: WindowPolicy,
    private readonly session: VerifierSession,
  ) {}

  /** Drafts the next window: at most what the session may still generate, less its last token. */
  async draft(): Promise<SelfDraft> {
    const { session } = this;
    const room = Math.max(0, session.maxTokens - session.generated.length - 1);
    const window = Math.min(this.policy.next(), room);
    const started = performance.now();
    const greedy = isGreedy(session.sampling);
    const drafted: DraftedWindow =
      window > 0 ? await this.draftModel.draft(window, greedy ? GREEDY : session.sampling, undefined, !greedy) : EMPTY;
    return { tokens: drafted.tokens, q: drafted.q, draftMs: performance.now() - started };
  }

  /** Commits what the round committed on the draft sequence, and tells the window policy how it went. */
  async settle(draft: SelfDraft, reply: VerifyReply): Promise<void> {
    if (reply.status !== "applied") return;
    await this.draftModel.commit(reply.position, reply.tokens);
    this.policy.observe({
      window: draft.tokens.length,
      accepted: reply.accepted,
      draftMs: draft.draftMs,
      verifyMs: reply.verifyMs,
      networkMs: 0,
      batchTokens: reply.batchTokens,
    });
  }

  dispose(): Promise<void> {
    return this.draftModel.dispose();
  }
}

const EMPTY: DraftedWindow = { tokens: [], q: [] };
