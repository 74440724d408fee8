import { enrolledRoleOf, isReservedIdentity, type DeviceCredential, type DeviceRole } from "#contracts";

/** The reason the authority gives a credential it revoked because a new one replaced it. */
export const ROTATED = "rotated:";

/** Whom an enrollment request may get a credential for: its role, or why not. */
export type EnrollmentDecision = { ok: true; role: DeviceRole } | { ok: false; reason: string };

/**
 * An enrollment identity (`{from}`) gets a credential only in the role it is bound to, never for
 * a reserved id (control plane, enrollment), and never for an id whose credential in force is of
 * another role or came from an operator (an edge device's): a leaked enrollment credential cannot
 * take over a device or rotate a verifier away. Enrolling an id it enrolled before rotates it (a
 * pod started again under its name); but an id an operator revoked, or a quarantined drafter,
 * stays out: revoking a pod's credential is not undone by the pod starting again.
 */
export function decideEnrollment(
  workerId: string,
  enroller: string | null,
  history: { inForce: readonly DeviceCredential[]; latest: DeviceCredential | undefined; quarantined: boolean },
): EnrollmentDecision {
  const { inForce, latest } = history;
  const role = enrolledRoleOf(enroller);
  if (role === null) return { ok: false, reason: `'${enroller ?? "anonymous"}' is no enrollment identity` };
  if (isReservedIdentity(workerId))
    return { ok: false, reason: `'${workerId}' is a reserved identity, not a worker id` };
  if (history.quarantined) return { ok: false, reason: `'${workerId}' is quarantined` };
  const revoked = latest?.revokedAt !== null && latest?.revokedAt !== undefined;
  if (revoked && !(latest.revokedReason ?? "").startsWith(ROTATED))
    return {
      ok: false,
      reason: `'${workerId}''s credential was revoked (${latest.revokedReason ?? "no reason"}); it does not enroll again`,
    };
  for (const credential of inForce) {
    if (credential.role !== role)
      return { ok: false, reason: `'${workerId}' holds a ${credential.role}'s credential, not a ${role}'s` };
    if ((credential.enrolledBy ?? null) === null)
      return { ok: false, reason: `'${workerId}' holds a credential an operator issued; it does not enroll` };
  }
  return { ok: true, role };
}
