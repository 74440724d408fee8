import { z } from "zod";
import { requestContract } from "./contract.js";
import { remoteErrorSchema, workerIdSchema } from "./common.js";

/**
 * Credentials and quarantine (docs/security.md). The registry is the fleet's credential
 * authority: it signs each device's NATS credential, keeps the list of what it issued, and
 * revokes (the NATS server then cuts the device's connection at once). Only the control plane
 * may send these; a verifier may ask for a quarantine.
 */

/**
 * The identities of the control plane: each is a NATS user of its own (libs/security), and no
 * worker may take one as its id. `admin` is the operator's full-access identity (tools, tests).
 */
export const SCHEDULER_IDENTITY = "scheduler";
export const ADMIN_IDENTITY = "admin";
export const CONTROL_PLANE_IDENTITIES = [
  "gateway",
  SCHEDULER_IDENTITY,
  "registry",
  "dashboard",
  ADMIN_IDENTITY,
] as const;
export type ControlPlaneIdentity = (typeof CONTROL_PLANE_IDENTITIES)[number];

/** The roles a device credential is issued for; control-plane identities are made by the operator, not issued here. */
export const deviceRoleSchema = z.enum(["drafter", "verifier"]);
export type DeviceRole = z.infer<typeof deviceRoleSchema>;

/**
 * The enrollment identities (NATS_ENROLL_CREDS, a pod's Secret): each may only ask the registry
 * for a worker credential, of the one role it is bound to (CredentialEnroll).
 */
export const ENROLLER_ROLES = { "enroll-verifier": "verifier", "enroll-drafter": "drafter" } as const satisfies Record<
  string,
  DeviceRole
>;
export type EnrollerIdentity = keyof typeof ENROLLER_ROLES;
export const ENROLLER_IDENTITIES = Object.keys(ENROLLER_ROLES) as EnrollerIdentity[];

/** The role an enrollment identity enrolls workers for; null for any other identity. */
export function enrolledRoleOf(identity: string | null): DeviceRole | null {
  return identity !== null && Object.hasOwn(ENROLLER_ROLES, identity)
    ? ENROLLER_ROLES[identity as EnrollerIdentity]
    : null;
}

/** Whether a worker id is one the control plane (or enrollment) keeps for itself. */
export function isReservedIdentity(id: string): boolean {
  return (
    (CONTROL_PLANE_IDENTITIES as readonly string[]).includes(id) || enrolledRoleOf(id) !== null || id === "anonymous"
  );
}

/** One credential the authority issued, as listed (never its secret). */
export const deviceCredentialSchema = z.object({
  deviceId: workerIdSchema,
  role: deviceRoleSchema,
  /** The NATS user's public nkey (`U…`): what a server log names. */
  publicKey: z.string().min(1).max(100),
  issuedAt: z.number(),
  /** Unix ms when it stops working by itself; null: until revoked. */
  expiresAt: z.number().nullable(),
  revokedAt: z.number().nullable(),
  /** Why it was revoked (an operator's reason, or the audit's). */
  revokedReason: z.string().max(500).nullable(),
  note: z.string().max(200).nullable(),
  /** The enrollment identity it was issued to (a pod enrolling at start); absent: issued by an operator. */
  enrolledBy: z.string().max(64).nullable().optional(),
});
export type DeviceCredential = z.infer<typeof deviceCredentialSchema>;

const failed = z.object({ ok: z.literal(false), error: remoteErrorSchema });

/**
 * Operator (gateway admin API, `specfleet devices issue`) → registry: a credential for a device.
 * The reply carries the `.creds` file once; the authority keeps only its public part.
 */
export const CredentialIssue = requestContract(
  "specfleet.credentials.issue",
  1,
  z.object({
    deviceId: workerIdSchema,
    role: deviceRoleSchema,
    /** Seconds until it expires by itself; absent: until revoked. */
    expiresInS: z
      .number()
      .int()
      .positive()
      .max(10 * 365 * 24 * 3600)
      .optional(),
    note: z.string().max(200).optional(),
  }),
  z.discriminatedUnion("ok", [
    z.object({ ok: z.literal(true), credential: deviceCredentialSchema, creds: z.string().min(1) }),
    failed,
  ]),
);

/** Operator → registry: every credential issued (revoked ones included, newest first). */
export const CredentialList = requestContract(
  "specfleet.credentials.list",
  1,
  z.object({}).loose(),
  z.object({ credentials: z.array(deviceCredentialSchema) }),
);

/**
 * Operator → registry: revoke a device's credential. Its connections are cut within a second,
 * the registry marks it lost, and the scheduler moves its sessions.
 */
export const CredentialRevoke = requestContract(
  "specfleet.credentials.revoke",
  1,
  z.object({ deviceId: workerIdSchema, reason: z.string().max(500).optional() }),
  z.discriminatedUnion("ok", [z.object({ ok: z.literal(true), credential: deviceCredentialSchema }), failed]),
);

/**
 * Verifier → registry: this drafter failed the audit of the q it sends (a forged distribution,
 * or drafts that are not draws from it): never pair it again and revoke its credential. The
 * sender (`{from}`) is the verifier that caught it.
 */
export const FleetQuarantine = requestContract(
  "specfleet.fleet.quarantine.{from}",
  1,
  z.object({
    workerId: workerIdSchema,
    reason: z.string().max(500),
    /** What the audit saw (statistics, the round), for the operator's log. */
    evidence: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  }),
  z.object({ quarantined: z.boolean(), revoked: z.boolean() }),
);

/** An NATS user public key (an nkey: `U` and 55 base32 characters). */
const userPublicKeySchema = z.string().regex(/^U[A-Z2-7]{55}$/, "a NATS user public key (U…)");

/**
 * Enrollment identity (`{from}`: `enroll-verifier`, `enroll-drafter`) → registry: a credential
 * for a worker starting in the cluster (its WORKER_ID, a pod name), in the role the enroller is
 * bound to. The worker makes its key pair itself and sends only the public key: the reply is the
 * user JWT for it, no secret (several pods share an enrollment identity, and so its inbox). The
 * authority lists and revokes it like a device's; enrolling again rotates it.
 */
export const CredentialEnroll = requestContract(
  "specfleet.credentials.enroll.{from}",
  1,
  z.object({ workerId: workerIdSchema, publicKey: userPublicKeySchema }),
  z.discriminatedUnion("ok", [
    z.object({ ok: z.literal(true), credential: deviceCredentialSchema, jwt: z.string().min(1).max(20_000) }),
    failed,
  ]),
);
