import type { DeviceCredential, FleetSnapshot } from "#contracts";
import type { CredentialView, credentialListSchema } from "./credential-schemas.js";
import type { z } from "zod";

const seconds = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));

/** A credential's public part, as the admin API answers (unix seconds, like API keys). */
export function credentialView(credential: DeviceCredential, now = Date.now()): CredentialView {
  return {
    object: "device_credential",
    device_id: credential.deviceId,
    role: credential.role,
    public_key: credential.publicKey,
    status:
      credential.revokedAt !== null
        ? "revoked"
        : credential.expiresAt !== null && credential.expiresAt <= now
          ? "expired"
          : "active",
    issued_at: seconds(credential.issuedAt)!,
    expires_at: seconds(credential.expiresAt),
    revoked_at: seconds(credential.revokedAt),
    revoked_reason: credential.revokedReason,
    note: credential.note,
  };
}

/** Every credential, each with where its device stands in the fleet (null without a snapshot or not registered). */
export function credentialList(
  credentials: DeviceCredential[],
  snapshot: FleetSnapshot | null,
  now = Date.now(),
): z.infer<typeof credentialListSchema> {
  const workers = new Map((snapshot?.workers ?? []).map((w) => [w.workerId, w]));
  return {
    object: "list",
    data: credentials.map((credential) => {
      const worker = workers.get(credential.deviceId);
      return {
        ...credentialView(credential, now),
        device: worker ? { state: worker.state, draining: worker.draining, last_seen_at: worker.lastSeenAt } : null,
      };
    }),
  };
}
