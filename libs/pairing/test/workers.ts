import type { WorkerView } from "#pairing";

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
