import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DeviceCredential } from "#contracts";
import { decideEnrollment } from "../src/credentials/enrollment-policy.js";

const credential = (
  role: "verifier" | "drafter",
  enrolledBy: string | null,
  revokedReason: string | null = null,
): DeviceCredential => ({
  deviceId: "pod-1",
  role,
  publicKey: "U".padEnd(56, "A"),
  issuedAt: 0,
  expiresAt: null,
  revokedAt: revokedReason === null ? null : 1,
  revokedReason,
  note: null,
  enrolledBy,
});

void describe("decideEnrollment", () => {
  const cases: Array<{
    name: string;
    id: string;
    from: string | null;
    inForce: DeviceCredential[];
    latest?: DeviceCredential;
    quarantined?: boolean;
    want: RegExp | string;
  }> = [
    { name: "a verifier pod, first time", id: "pod-1", from: "enroll-verifier", inForce: [], want: "verifier" },
    { name: "a drafter pod, first time", id: "pod-1", from: "enroll-drafter", inForce: [], want: "drafter" },
    {
      name: "a pod started again under its name (rotation)",
      id: "pod-1",
      from: "enroll-verifier",
      inForce: [credential("verifier", "enroll-verifier")],
      want: "verifier",
    },
    {
      name: "an identity that is no enroller",
      id: "pod-1",
      from: "verifier-1",
      inForce: [],
      want: /no enrollment identity/,
    },
    { name: "no sender", id: "pod-1", from: null, inForce: [], want: /'anonymous' is no enrollment identity/ },
    { name: "a control-plane id", id: "scheduler", from: "enroll-verifier", inForce: [], want: /reserved/ },
    { name: "an enroller's id", id: "enroll-verifier", from: "enroll-drafter", inForce: [], want: /reserved/ },
    {
      name: "a pod whose last credential was rotated away",
      id: "pod-1",
      from: "enroll-verifier",
      inForce: [],
      latest: credential("verifier", "enroll-verifier", "rotated: a new credential was issued"),
      want: "verifier",
    },
    {
      name: "a pod an operator revoked",
      id: "pod-1",
      from: "enroll-verifier",
      inForce: [],
      latest: credential("verifier", "enroll-verifier", "compromised node"),
      want: /revoked \(compromised node\); it does not enroll again/,
    },
    {
      name: "a quarantined drafter",
      id: "pod-1",
      from: "enroll-drafter",
      inForce: [],
      quarantined: true,
      want: /quarantined/,
    },
    {
      name: "a verifier's id, from the drafters' enroller",
      id: "pod-1",
      from: "enroll-drafter",
      inForce: [credential("verifier", "enroll-verifier")],
      want: /holds a verifier's credential/,
    },
    {
      name: "an edge device's id (issued by an operator)",
      id: "pod-1",
      from: "enroll-drafter",
      inForce: [credential("drafter", null)],
      want: /an operator issued/,
    },
  ];
  for (const c of cases)
    void it(c.name, () => {
      const decision = decideEnrollment(c.id, c.from, {
        inForce: c.inForce,
        latest: c.latest ?? c.inForce.at(-1),
        quarantined: c.quarantined ?? false,
      });
      if (typeof c.want === "string") assert.deepEqual(decision, { ok: true, role: c.want });
      else {
        assert.equal(decision.ok, false);
        assert.match(decision.ok ? "" : decision.reason, c.want);
      }
    });
});
