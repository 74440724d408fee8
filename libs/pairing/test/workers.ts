import type { PairingContext, PairingDecision, WorkerView } from "#pairing";

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

export const pair = (verifierId: string, drafterId: string): PairingDecision => ({
  kind: "pair",
  verifierId,
  drafterId,
});
export const request = { model: "m" };

/** A context whose random draws are the given numbers, in turn. */
export const draws = (...values: number[]): PairingContext => {
  let i = 0;
  return { random: () => values[i++ % values.length]! };
};
