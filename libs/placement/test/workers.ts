import type { WorkerView } from "#pairing";
import type { WaitingRequest } from "#placement";

/** `v("v1", 1, 4)`: a ready verifier of model "m", vocabulary "vocab-A", 1 of 4 slots busy. */
const worker =
  (role: WorkerView["role"]) =>
  (id: string, activeSessions: number, maxSessions: number, extra: Partial<WorkerView> = {}): WorkerView => ({
    id,
    role,
    modelName: role === "verifier" ? "m" : "small",
    vocabFingerprint: "vocab-A",
    ready: true,
    activeSessions,
    maxSessions,
    ...extra,
  });
export const v = worker("verifier");
export const d = worker("drafter");

/** A new request for model "m" that arrived at `arrivedAt` and has waited since. */
export function request(id: string, arrivedAt: number, extra: Partial<WaitingRequest> = {}) {
  return { id, model: "m", maxTokens: 64, priority: 0, resume: false, arrivedAt, since: arrivedAt, ...extra };
}
