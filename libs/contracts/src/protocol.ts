import { createHash } from "node:crypto";
import type { AnyContract } from "./contract.js";
import { VerifierDetach, VerifyRound, WorkerClose } from "./session.js";

/**
 * SpecFleet's wire format (libs/transport wire.ts: what travels in NATS headers beside a payload).
 * A change to the headers bumps it, and a peer speaking another version is refused by name.
 */
export const WIRE_VERSION = 1;

/**
 * The contracts a drafter and a verifier exchange directly, without the control plane between
 * them (ARCHITECTURE invariant 3): the rounds, a drafter letting go, a verifier closing a
 * drafter's session. It is the list libs/security's ROUTES derives (a contract one of the two
 * roles sends and the other receives); a test there keeps the two equal.
 */
export const PEER_CONTRACTS: readonly AnyContract[] = [VerifyRound, VerifierDetach, WorkerClose];

/**
 * What a worker speaks to its partner, as a short digest: the wire version and each peer
 * contract's subject and version. Two workers with equal digests can exchange every round;
 * two with different ones would refuse each other's messages, so the pairing never puts them
 * together (libs/pairing, like the vocabulary fingerprint). Anything else (a control-plane
 * contract's version) leaves it unchanged: a worker and the registry or scheduler check those
 * message by message.
 */
export function protocolDigest(wireVersion: number, contracts: readonly AnyContract[]): string {
  const parts = contracts.map((c) => `${c.subject}@${c.version}`).sort();
  return createHash("sha256")
    .update([`wire@${wireVersion}`, ...parts].join("\n"))
    .digest("hex")
    .slice(0, PROTOCOL_DIGEST_CHARS);
}

const PROTOCOL_DIGEST_CHARS = 12;

/** This build's protocol: what its workers register (`protocol`) and pair on. */
export const WORKER_PROTOCOL = protocolDigest(WIRE_VERSION, PEER_CONTRACTS);
