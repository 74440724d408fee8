import type { PairingPolicyName } from "#pairing";
import type { SimConfigInput } from "#sim";
import type { WindowPolicyName } from "#window";

/**
 * The fleets of docs/simulation.md's experiments. Device costs are of the kind the DSD paper
 * studies (a cloud target that batches well, phone-class drafters), not of this machine: the
 * point is the policies' behaviour at a scale no one here can deploy.
 */
export const CLOUD_VERIFIER = {
  // A pass costs 25 ms plus 0.6 ms per token: batching is cheap, as on a GPU.
  verifyMsByTokens: [
    { tokens: 1, ms: 25.6 },
    { tokens: 64, ms: 63.4 },
  ],
  prefillMsPerToken: 0.2,
  roundOverheadMs: 0.5,
};
export const EDGE_DRAFTER = { draftMsPerToken: 8, prefillMsPerToken: 1, roundOverheadMs: 0.5 };
export const SLOW_DRAFTER = { draftMsPerToken: 20, prefillMsPerToken: 2.5, roundOverheadMs: 0.5 };
/** The drafter model running on the verifier's accelerator (fused execution). */
export const FUSED_DRAFTER = { draftMsPerToken: 2, prefillMsPerToken: 0.05, roundOverheadMs: 0 };
export const ACCEPTANCE = { kind: "rate" as const, alpha: 0.8, decay: 0.99 };

const workload = (requests: number, ratePerSecond: number) => ({
  arrivals: { kind: "poisson" as const, ratePerSecond },
  requests,
  promptTokens: [32, 256] as [number, number],
  outputTokens: [64, 192] as [number, number],
});

/**
 * Routing: `drafters` edge devices against 20 verifiers. Half the drafters are near (20–40 ms,
 * 8 ms/token); the other half are slowed (80–120 ms away, 20 ms/token).
 */
export function routingFleet(drafters: number, pairing: PairingPolicyName): SimConfigInput {
  const near = Math.ceil(drafters / 2);
  const far = drafters - near;
  return {
    seed: 7,
    workload: workload(4000, 25),
    verifiers: [{ name: "cloud", count: 20, maxSessions: 16, profile: CLOUD_VERIFIER, link: { rttMs: 2 } }],
    drafters: [
      {
        name: "near",
        count: near,
        maxSessions: 4,
        profile: EDGE_DRAFTER,
        link: { rttMs: [20, 40] as [number, number], jitterMs: 3 },
      },
      ...(far > 0
        ? [
            {
              name: "far",
              count: far,
              maxSessions: 4,
              profile: SLOW_DRAFTER,
              link: { rttMs: [80, 120] as [number, number], jitterMs: 10 },
            },
          ]
        : []),
    ],
    acceptance: ACCEPTANCE,
    policies: { pairing, window: { policy: "adaptive" } },
    slo: { ttftMs: 2000, tpotMs: 60 },
  };
}

/**
 * Window control: 16 near drafters, 4 verifiers, every drafter `rttMs` from the broker. Pairing
 * is least-loaded, which always pairs, so that every policy keeps speculating (load-aware would
 * send sessions alone at long round trips whatever the window policy).
 */
export function windowFleet(rttMs: number, policy: WindowPolicyName): SimConfigInput {
  return {
    seed: 11,
    workload: workload(1500, 6),
    verifiers: [{ name: "cloud", count: 4, maxSessions: 16, profile: CLOUD_VERIFIER, link: { rttMs: 1 } }],
    drafters: [
      { name: "edge", count: 16, maxSessions: 2, profile: EDGE_DRAFTER, link: { rttMs, jitterMs: rttMs / 10 } },
    ],
    acceptance: ACCEPTANCE,
    policies: {
      pairing: "least-loaded",
      window: { policy, window: 4, maxWindow: 12, handBack: true },
    },
    slo: { ttftMs: 2000, tpotMs: 60 },
  };
}

export type ExecutionMode = "distributed" | "distributed, SpecFleet" | { fusedDraftMs: number };

/**
 * Fused (each verifier drafts for itself, on its own processor, a step of `fusedDraftMs` for
 * all its sessions at once) against distributed drafters `rttMs` away. Both at a fixed γ = 4 and always paired (least-loaded), so only where
 * the drafting runs differs; "distributed, SpecFleet" adds SpecFleet's defaults (load-aware
 * pairing, which may decode alone, and the adaptive window with hand-back).
 */
export function executionFleet(rttMs: number, mode: ExecutionMode): SimConfigInput {
  const specfleet = mode === "distributed, SpecFleet";
  const fused = typeof mode === "object";
  return {
    seed: 13,
    workload: workload(3000, 10),
    verifiers: [
      {
        name: "cloud",
        count: 4,
        maxSessions: 32,
        profile: CLOUD_VERIFIER,
        link: { rttMs: 1 },
        fusedDrafter: { profile: { ...FUSED_DRAFTER, draftMsPerToken: fused ? mode.fusedDraftMs : 2 } },
      },
    ],
    drafters: [
      { name: "edge", count: 64, maxSessions: 2, profile: EDGE_DRAFTER, link: { rttMs, jitterMs: rttMs / 10 } },
    ],
    acceptance: ACCEPTANCE,
    execution: fused ? "fused" : "distributed",
    policies: specfleet
      ? { pairing: "load-aware", window: { policy: "adaptive", window: 4, maxWindow: 12, handBack: true } }
      : { pairing: "least-loaded", window: { policy: "fixed", window: 4, maxWindow: 12, handBack: false } },
    slo: { ttftMs: 2000, tpotMs: 60 },
  };
}
