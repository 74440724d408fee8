import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  FleetRegister,
  PEER_CONTRACTS,
  protocolDigest,
  WIRE_VERSION,
  WORKER_PROTOCOL,
  workerRegistrationSchema,
  type AnyContract,
} from "#contracts";
import { peerContractsOf, ROUTES } from "#security";

type Route = (typeof ROUTES)[number];

/** The route table with `contract`'s version bumped, as the next release would declare it. */
function bumped(routes: readonly Route[], contract: AnyContract): Route[] {
  return routes.map((route) =>
    route.contract === contract
      ? { ...route, contract: { ...route.contract, version: route.contract.version + 1 } }
      : route,
  );
}

const digestOf = (routes: readonly Route[], wire = WIRE_VERSION) => protocolDigest(wire, peerContractsOf(routes));
const subjects = (contracts: readonly AnyContract[]) => contracts.map((c) => c.subject).sort();

/**
 * A worker's protocol (libs/contracts protocol.ts): what a drafter and a verifier must share to be
 * paired during an upgrade. It must follow exactly the contracts the two exchange directly.
 */
void describe("the workers' protocol digest", () => {
  void it("is made of the contracts ROUTES has one worker role send and the other receive", () => {
    assert.deepEqual(subjects(PEER_CONTRACTS), subjects(peerContractsOf()));
    assert.deepEqual(subjects(PEER_CONTRACTS), [
      "specfleet.verifier.{id}.detach.{from}",
      "specfleet.verifier.{id}.verify.{from}",
      "specfleet.worker.{id}.close.{from}",
    ]);
    assert.equal(WORKER_PROTOCOL, digestOf(ROUTES));
    assert.match(WORKER_PROTOCOL, /^[0-9a-f]{12}$/);
  });

  const peers = new Set<AnyContract>(peerContractsOf());
  for (const route of ROUTES) {
    const { contract } = route;
    const peer = peers.has(contract);
    void it(`${peer ? "changes" : "stays"} when ${contract.subject} goes to v${contract.version + 1}`, () => {
      const after = digestOf(bumped(ROUTES, contract));
      if (peer) assert.notEqual(after, WORKER_PROTOCOL);
      else assert.equal(after, WORKER_PROTOCOL);
    });
  }

  void it("changes with the wire version", () => {
    assert.notEqual(digestOf(ROUTES, WIRE_VERSION + 1), WORKER_PROTOCOL);
  });

  void it("changes when a contract between drafter and verifier is added, not when a control-plane one is", () => {
    const extra = { ...FleetRegister, subject: "specfleet.verifier.{id}.hint.{from}" };
    assert.notEqual(
      digestOf([...ROUTES, { contract: extra, send: ["drafter"], receive: ["verifier"] }]),
      WORKER_PROTOCOL,
    );
    assert.equal(digestOf([...ROUTES, { contract: extra, send: ["drafter"], receive: ["registry"] }]), WORKER_PROTOCOL);
  });

  void it("does not depend on the order the contracts are listed in", () => {
    assert.equal(protocolDigest(WIRE_VERSION, [...PEER_CONTRACTS].reverse()), WORKER_PROTOCOL);
  });

  void it("is optional in a registration, so an older worker's still parses, and bounded", () => {
    const registration = {
      workerId: "drafter-1",
      role: "drafter",
      model: { name: "small", vocabFingerprint: "vocab-0001" },
      deviceClass: "cpu",
      threads: 1,
      maxSessions: 1,
      contextSize: 256,
      startedAt: 0,
    };
    assert.equal(workerRegistrationSchema.parse(registration).protocol, undefined);
    assert.equal(
      workerRegistrationSchema.parse({ ...registration, protocol: WORKER_PROTOCOL }).protocol,
      WORKER_PROTOCOL,
    );
    for (const protocol of ["", "x".repeat(65), "a b", 5])
      assert.equal(workerRegistrationSchema.safeParse({ ...registration, protocol }).success, false, String(protocol));
  });
});
