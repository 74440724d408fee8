/** What a pairing policy sees of one worker: a snapshot, no transport. */
export interface WorkerView {
  id: string;
  role: "drafter" | "verifier";
  modelName: string;
  vocabFingerprint: string;
  ready: boolean;
  /** Sessions the scheduler has placed on it (authoritative, unlike lagging telemetry). */
  activeSessions: number;
  maxSessions: number;
}

export interface PairingRequest {
  /** The target model the client asked for. */
  model: string;
}

export type PairingDecision =
  | { kind: "pair"; verifierId: string; drafterId: string }
  /** No live drafter shares the verifier's vocabulary: the verifier decodes alone (target-only). */
  | { kind: "alone"; verifierId: string; reason: string }
  /** A compatible pair exists but every one is at capacity: queue the request. */
  | { kind: "wait"; reason: string }
  /** No verifier serves the model: refuse the request. */
  | { kind: "none"; code: "model_not_found"; reason: string };

export type PairingPolicy = (fleet: readonly WorkerView[], request: PairingRequest) => PairingDecision;
