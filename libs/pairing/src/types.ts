import type { VerifyCostByWindow, WindowPolicyName } from "#window";

/** Where an edge device draws power from; `level` is the battery's charge in [0, 1] when known. */
export interface PowerState {
  source: "plugged" | "charging" | "battery";
  level: number | null;
}

/** Speeds a worker measured on itself at start-up. */
export interface WorkerProfile {
  /** Drafters: ms per drafted token. */
  draftMsPerToken?: number;
  /** Verifiers: ms of one verify pass at a few windows γ (a pass evaluates γ + 1 tokens; libs/window verify-cost.ts). */
  verifyMsByWindow?: readonly VerifyCostByWindow[];
  /** Verifiers with a co-located draft model: they draft for themselves when no drafter follows a session. */
  selfDraft?: SelfDraftProfile;
}

/** A verifier's co-located draft model: its name, ms per drafted token, and largest window. */
export interface SelfDraftProfile {
  model: { name: string };
  draftMsPerToken: number;
  maxWindow: number;
}

/** What a pairing policy sees of one worker: a snapshot, no transport. */
export interface WorkerView {
  id: string;
  role: "drafter" | "verifier";
  modelName: string;
  vocabFingerprint: string;
  /**
   * What it speaks to its partner (libs/contracts `WORKER_PROTOCOL`); undefined: unknown (a worker
   * older than the field, DSD-Sim's workers). Only equal protocols are paired, unknown with unknown.
   */
  protocol?: string;
  /** May take new sessions (registry state `ready` or `degraded`; not `draining` or `lost`). */
  ready: boolean;
  /** Late telemetry or failing rounds: used only when nothing healthy is free. */
  degraded?: boolean;
  /** Sessions the scheduler has placed on it (authoritative, unlike lagging telemetry). */
  activeSessions: number;
  maxSessions: number;
  profile?: WorkerProfile;
  power?: PowerState;
  /** Round trip to the message broker, ms, as the worker last measured it. */
  brokerRttMs?: number;
  /** Drafters: how they choose their window. */
  drafting?: DraftingSettings;
}

/** How a drafter chooses each round's window (fixed γ, or adaptive up to `maxWindow`). */
export interface DraftingSettings {
  windowPolicy: WindowPolicyName;
  window: number;
  maxWindow: number;
  pipelined: boolean;
}

export interface PairingRequest {
  /** The target model the client asked for. */
  model: string;
  /** Tokens it asks for at most: how long it would hold a pair (load-aware weighs waiting with it). */
  maxTokens?: number;
  /** Requests for the same model waiting ahead of it that chose to wait. */
  ahead?: number;
  /** How long it has waited already, ms. */
  waitedMs?: number;
}

/** What the scheduler has learnt beyond the snapshot; every field optional for the simple policies. */
export interface PairingContext {
  /** Recent acceptance rate of a drafter model against a target model, if any was seen. */
  acceptance?: (drafterModel: string, targetModel: string) => number | undefined;
  /** Measured round trip between a drafter and a verifier, ms, if any was seen. */
  roundTripMs?: (drafterId: string, verifierId: string) => number | undefined;
  /**
   * How much longer the pairs measured so far took per round than their workers' broker round
   * trips add up to (serialisation, the other side's queue), ms: added to the broker estimate of
   * a pair never measured, so that it is not preferred just for being unmeasured.
   */
  roundTripExcessMs?: number;
  /** A uniform draw in [0, 1): the random policies take it from here (seeded in tests and DSD-Sim). */
  random?: () => number;
  /**
   * Changes whenever any figure above may have (never back to an earlier value, and no two
   * histories share one): load-aware reuses a pair's prediction while it is the same
   * (`PairRateCache`). Undefined: predictions are never reused.
   */
  readonly revision?: number;
}

export type PairingDecision =
  | { kind: "pair"; verifierId: string; drafterId: string }
  /**
   * The verifier decodes alone (target-only): no live drafter shares its vocabulary and protocol, or
   * (load-aware) it is predicted faster alone than with any free drafter.
   */
  | { kind: "alone"; verifierId: string; reason: string }
  /** A compatible pair exists but every one is at capacity: queue the request. */
  | { kind: "wait"; reason: string }
  /** No verifier serves the model: refuse the request. */
  | { kind: "none"; code: "model_not_found"; reason: string };

export type PairingPolicy = (
  fleet: readonly WorkerView[],
  request: PairingRequest,
  context?: PairingContext,
) => PairingDecision;

/** A verifier and a drafter that share a vocabulary and a protocol, and both have a free slot. */
export interface CandidatePair {
  verifier: WorkerView;
  drafter: WorkerView;
}
