import { leastLoaded } from "./least-loaded.js";
import type { PairingPolicy } from "./types.js";

export * from "./types.js";
export { leastLoaded } from "./least-loaded.js";

/** Policies by the name used in configuration (PAIRING_POLICY). */
export const pairingPolicies = { "least-loaded": leastLoaded } satisfies Record<string, PairingPolicy>;
export type PairingPolicyName = keyof typeof pairingPolicies;
