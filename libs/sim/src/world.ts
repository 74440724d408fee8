import type { WorkerView } from "#pairing";
import type { PendingRound } from "#batching";
import type { AloneSession, WaitingRequest } from "#placement";
import type { RoundEstimator, WindowPolicy } from "#window";
import type { SimConfig } from "./config.js";
import type { SimDrafter, SimFleet, SimVerifier } from "./fleet.js";
import type { Metrics } from "./metrics.js";
import type { SimPlacement } from "./placement.js";
import type { Random } from "./random.js";
import type { SimRequest } from "./workload.js";

/** A session: one request on its verifier, with a drafter or alone. */
export interface Session {
  request: SimRequest;
  verifier: SimVerifier;
  drafter: SimDrafter | null;
  window: WindowPolicy | null;
  /** What its drafter knows of its verifier, shared with the pair's other sessions (a real drafter's per-verifier estimator). */
  estimator: RoundEstimator | null;
  generated: number;
  firstTokenMs: number;
  /** Decoding alone and waiting for a drafter (placed alone while drafters exist), as the drafter attach sees it. */
  alone: AloneSim | null;
  /** The drafter whose slot the attach took: it takes the session over at the alone round's end. */
  attach: SimDrafter | null;
  /** A re-pairing decided by the rebalancer, its slots taken: carried out at the next round's end. */
  move: { verifier: SimVerifier; drafter: SimDrafter } | null;
  round: Round | null;
  /** Prompt tokens the verifier has not evaluated yet: they ride in the session's first round. */
  unprefilled: number;
}

/**
 * One partition of the fleet that the scheduler places within (a target model in a region): its
 * workers' views in id order, its own placement loop over them with its pair statistics, and its
 * running sessions. A request is placed, attached to a drafter and rebalanced within its cell only,
 * so a decision costs what the cell's size costs, whatever the fleet's.
 */
export interface SimCell {
  index: number;
  views: WorkerView[];
  placement: SimPlacement<WaitingSim, AloneSim>;
  /** Sessions running here, by id (what the rebalancer sees). */
  live: Map<string, Session>;
  /** Requests waiting for a pair here as last counted, and whether a look at the queue is scheduled. */
  waiting: number;
  looking: boolean;
}

/** A request waiting for a pair, as the queue pass sees it (arrival order, priority 0). */
export interface WaitingSim extends WaitingRequest {
  request: SimRequest;
  /** The cell (region) it is placed in. */
  cell: number;
}

/** A session decoding alone that would take a drafter, as the drafter attach sees it. */
export interface AloneSim extends AloneSession {
  session: Session;
}

/**
 * Work at a verifier: a round to verify (γ + 1 tokens, or 1 alone); a session's first round
 * also evaluates its prompt, in the same pass, as the real verifier does.
 */
export interface Round extends PendingRound {
  session: Session;
  prefillTokens: number;
  window: number;
  /** How many of the window's tokens the target would accept (drawn as the round is drafted). */
  runLength: number;
  draftMs: number;
  sentMs: number;
  verifyMs: number;
  batchTokens: number;
}

/** Work at a drafter (or, fused, at its host verifier): prefill then draft a window. */
export interface DraftJob {
  session: Session;
  prefillTokens: number;
  queuedAt: number;
}

export const enum Kind {
  Arrival,
  DraftDone,
  RoundArrives,
  BatchDone,
  VerdictArrives,
  HostedDraftsDone,
  Rebalance,
  /** The scheduler looks at a cell's queue (every second, while requests wait). */
  QueueLook,
  /** A scheduler shard has decided an arrival (when decisions take time: shards.ts). */
  Decide,
}

export interface SimEvent {
  t: number;
  seq: number;
  kind: Kind;
  request?: SimRequest;
  session?: Session;
  verifier?: SimVerifier;
  batch?: Round[];
  job?: DraftJob;
  jobs?: DraftJob[];
  waiting?: WaitingSim;
  cell?: number;
}

/** The drafters' side (drafter-side.ts): drafting windows, and what a drafter does with a verdict. */
export interface Drafting {
  /** The session's drafter (its slot already counted) prefills `prefillTokens`, then drafts. */
  attach(session: Session, drafter: SimDrafter, prefillTokens: number): void;
  /** Draws the window of the job's next round and its run length; returns the ms its drafter takes. */
  draft(job: DraftJob): number;
  /** Fused: the drafts waiting for this verifier's processor. */
  hostedDrafts(verifier: SimVerifier): DraftJob[] | undefined;
  draftDone(job: DraftJob): void;
  verdict(session: Session): void;
}

/** The verifiers' side (verifier-side.ts): batches of rounds on each verifier's processor. */
export interface Verifying {
  enqueueRound(verifier: SimVerifier, round: Round): void;
  startWork(verifier: SimVerifier): void;
  batchDone(verifier: SimVerifier, batch: Round[]): void;
  hostedDraftsDone(verifier: SimVerifier, jobs: DraftJob[]): void;
}

/** The scheduler's rebalancer (rebalancing.ts). */
export interface Rebalancing {
  rebalance(): void;
  /** The session leaves its drafter (and verifier) for those its move reserved. */
  carryOut(session: Session): void;
}

/**
 * What the parts of a simulation share: the clock and its events, the fleet, the draws, the
 * measurements, the scheduler's part (per cell: placement with its pair statistics, live sessions), and each other's
 * entry points. simulator.ts holds it; the parts see it through this interface only.
 */
export interface World {
  readonly config: SimConfig;
  readonly fleet: SimFleet;
  readonly metrics: Metrics;
  readonly draws: { network: Random; acceptance: Random; workload: Random; policy: Random };
  /** Simulated time, ms. */
  readonly now: number;
  /** Nothing but timers is pending: time alone changes nothing (the rebalancer stops). */
  readonly idle: boolean;
  /** Requests the workload sends in all. */
  readonly total: number;
  /**
   * The fleet's cells (regions), each with the scheduler's placement loop (libs/placement) over its
   * views, its pair statistics and its running sessions; a worker's `cell` indexes it.
   */
  readonly cells: readonly SimCell[];
  schedule(event: SimEvent): void;
  verifierById(id: string): SimVerifier;
  drafterById(id: string): SimDrafter;
  /** A drafter slot may have come free in the cell: its sessions decoding alone may take one. */
  attachDrafters(cell: number): void;
  finish(session: Session, deliveredMs: number): void;
  readonly drafting: Drafting;
  readonly verifying: Verifying;
  readonly rebalancing: Rebalancing;
}

/** The session's next round at its verifier: its window, and its prompt if not evaluated yet. */
export function newRound(session: Session, window: number, runLength: number, now: number): Round {
  const prefillTokens = session.unprefilled;
  session.unprefilled = 0;
  return {
    sessionId: "",
    arrivedAt: now,
    tokens: prefillTokens + window + 1,
    session,
    prefillTokens,
    window,
    runLength,
    draftMs: 0,
    sentMs: now,
    verifyMs: 0,
    batchTokens: 0,
  };
}
