import { simConfigSchema, type SimConfig, type SimConfigInput } from "#sim";

/** A verifier profile whose pass costs `perToken` ms per token: cost(n) = perToken·n. */
export const proportional = (perToken: number, prefillMsPerToken = 0, roundOverheadMs = 0) => ({
  verifyMsByTokens: [{ tokens: 1, ms: perToken }],
  prefillMsPerToken,
  roundOverheadMs,
});

type VerifierGroupInput = SimConfigInput["verifiers"][number];

/** Two verifiers whose passes cost little more for a longer window (speculation pays). */
export const cloud: VerifierGroupInput = {
  name: "cloud",
  count: 2,
  maxSessions: 4,
  link: { rttMs: 1 },
  profile: {
    verifyMsByTokens: [
      { tokens: 1, ms: 30 },
      { tokens: 5, ms: 35 },
      { tokens: 9, ms: 40 },
      { tokens: 33, ms: 80 },
    ],
    prefillMsPerToken: 0.5,
    roundOverheadMs: 1,
  },
};

/** The small fleet of sim/configs/quick.yaml, fewer requests: a few verifiers, near drafters. */
export function smallFleet(overrides: Partial<SimConfigInput> = {}): SimConfig {
  return simConfigSchema.parse({
    seed: 7,
    workload: {
      arrivals: { kind: "poisson", ratePerSecond: 8 },
      requests: 300,
      promptTokens: [16, 64],
      outputTokens: [16, 64],
    },
    verifiers: [cloud],
    drafters: [
      {
        name: "edge",
        count: 8,
        maxSessions: 1,
        link: { rttMs: [10, 30], jitterMs: 3, bandwidthMbps: 50 },
        profile: { draftMsPerToken: 3, prefillMsPerToken: 0.5, roundOverheadMs: 1 },
      },
    ],
    acceptance: { kind: "rate", alpha: 0.8, decay: 0.98 },
    ...overrides,
  } satisfies SimConfigInput);
}

/** The same fleet with a second drafter group far away and slow. */
export function fleetWithFarDrafters(
  pairing: NonNullable<SimConfigInput["policies"]>["pairing"],
  overrides: Partial<SimConfigInput> = {},
): SimConfig {
  return smallFleet({
    drafters: [
      {
        name: "edge",
        count: 4,
        maxSessions: 1,
        link: { rttMs: [10, 20] },
        profile: { draftMsPerToken: 3, prefillMsPerToken: 0.5 },
      },
      {
        name: "far",
        count: 4,
        maxSessions: 1,
        link: { rttMs: [250, 350], jitterMs: 20, bandwidthMbps: 5 },
        profile: { draftMsPerToken: 25, prefillMsPerToken: 2 },
      },
    ],
    policies: { pairing },
    ...overrides,
  });
}
