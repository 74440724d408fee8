import { leastLoaded } from "./least-loaded.js";
import { loadAware } from "./load-aware.js";
import { powerOfTwo } from "./power-of-two.js";
import { randomPairing } from "./random.js";
import { roundRobin } from "./round-robin.js";
import { shortestQueue } from "./shortest-queue.js";
import { PAIRING_TUNING_DEFAULTS, type PairingTuning } from "./tuning.js";
import type { PairingPolicy } from "./types.js";

/**
 * Pairing policies by the name configuration uses (PAIRING_POLICY, DSD-Sim's
 * `policies.pairing`): declared here once, imported by libs/config and libs/sim.
 */
export const PAIRING_POLICY_NAMES = [
  "load-aware",
  "least-loaded",
  "random",
  "round-robin",
  "shortest-queue",
  "power-of-two",
] as const;
export type PairingPolicyName = (typeof PAIRING_POLICY_NAMES)[number];

/** Each call makes a fresh policy (round-robin keeps turns); load-aware takes its tuning values. */
export const pairingPolicies = {
  "load-aware": (tuning: PairingTuning) => loadAware(tuning.loadAware),
  "least-loaded": () => leastLoaded,
  random: () => randomPairing,
  "round-robin": () => roundRobin(),
  "shortest-queue": () => shortestQueue,
  "power-of-two": () => powerOfTwo,
} satisfies Record<PairingPolicyName, (tuning: PairingTuning) => PairingPolicy>;

export function createPairingPolicy(
  name: PairingPolicyName,
  tuning: PairingTuning = PAIRING_TUNING_DEFAULTS,
): PairingPolicy {
  return pairingPolicies[name](tuning);
}
