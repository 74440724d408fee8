import { readFileSync } from "node:fs";
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from "@nestjs/common";
import {
  isReservedIdentity,
  type CredentialEnroll,
  type CredentialIssue,
  type CredentialRevoke,
  type DeviceCredential,
  type ErrorCode,
  type PayloadOf,
  type ReplyOf,
  type WorkerRegistration,
} from "#contracts";
import type { RegistryConfig } from "#config";
import type { Logger } from "#logging";
import { NatsAuthority, type Revocations } from "#security";
import { natsEndpointOf } from "#transport";
import { FleetRegistryService } from "../fleet-registry.service.js";
import { REGISTRY_CONFIG, REGISTRY_LOGGER } from "../tokens.js";
import { AccountUpdates } from "./account-updates.js";
import { CREDENTIAL_REPOSITORY } from "./credential-tokens.js";
import type { CredentialRepository } from "./credential-repository.js";
import { decideEnrollment, ROTATED } from "./enrollment-policy.js";

type IssueReply = ReplyOf<typeof CredentialIssue>;
type EnrollReply = ReplyOf<typeof CredentialEnroll>;
type RevokeReply = ReplyOf<typeof CredentialRevoke>;

/**
 * The fleet's credential authority (docs/security.md): signs a NATS credential per device, keeps
 * the list (public parts only), and revokes: the account update it pushes makes NATS cut the
 * device off at once, and the registry marks the device gone so the scheduler moves its
 * sessions. Issuing again for a device rotates its credential (the old one is revoked). A
 * quarantined drafter (caught by a verifier's audit) is revoked and refused until an operator
 * issues it a new credential. Without NATS_AUTHORITY_FILE the registry is no authority.
 */
@Injectable()
export class CredentialAuthorityService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly authority: NatsAuthority | null;
  private readonly updates: AccountUpdates | null;
  private credentials: DeviceCredential[] = [];
  private quarantined = new Map<string, string>();

  constructor(
    @Inject(REGISTRY_CONFIG) config: RegistryConfig,
    @Inject(REGISTRY_LOGGER) private readonly log: Logger,
    @Inject(CREDENTIAL_REPOSITORY) private readonly repository: CredentialRepository,
    private readonly registry: FleetRegistryService,
  ) {
    const file = config.NATS_AUTHORITY_FILE;
    this.authority = file === undefined ? null : NatsAuthority.fromJson(readFileSync(file, "utf8"));
    this.updates =
      this.authority && new AccountUpdates(this.authority, natsEndpointOf(config), log, () => this.revocations());
  }

  /** Loads what was issued and pushes the revocations again (a restarted NATS may have forgotten them). */
  async onApplicationBootstrap(): Promise<void> {
    this.credentials = await this.repository.load();
    this.quarantined = await this.repository.quarantined();
    this.registry.refuseRegistration((registration) => this.refusalOf(registration));
    if (this.updates && Object.keys(this.revocations()).length > 0) await this.updates.push(this.revocations());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.updates?.close();
  }

  async issue(request: PayloadOf<typeof CredentialIssue>): Promise<IssueReply> {
    if (this.authority === null) return noAuthority();
    if (isReservedIdentity(request.deviceId))
      return refused("bad_request", `'${request.deviceId}' is a control-plane identity, not a device id`);
    const user = await this.authority.issue(request.deviceId, request.role, request.expiresInS);
    const credential: DeviceCredential = {
      deviceId: request.deviceId,
      role: request.role,
      publicKey: user.publicKey,
      issuedAt: user.issuedAt,
      expiresAt: user.expiresAt,
      revokedAt: null,
      revokedReason: null,
      note: request.note ?? null,
    };
    await this.keep(credential);
    this.log.info(
      { deviceId: credential.deviceId, role: credential.role, publicKey: credential.publicKey },
      "credential issued",
    );
    return { ok: true, credential, creds: user.creds };
  }

  /**
   * A pod's own credential (enrollment, NATS_ENROLL_CREDS): signed for the public key it sent, in
   * the role its enrollment identity `from` is bound to (enrollment-policy.ts).
   */
  async enroll(request: PayloadOf<typeof CredentialEnroll>, from: string | null): Promise<EnrollReply> {
    if (this.authority === null) return noAuthority();
    const decision = decideEnrollment(request.workerId, from, {
      inForce: this.active(request.workerId),
      latest: this.list().find((c) => c.deviceId === request.workerId),
      quarantined: this.quarantined.has(request.workerId),
    });
    if (!decision.ok) {
      this.log.warn({ workerId: request.workerId, enroller: from, reason: decision.reason }, "enrollment refused");
      return refused("forbidden", decision.reason);
    }
    const user = await this.authority.issueFor(request.workerId, decision.role, request.publicKey);
    const credential: DeviceCredential = {
      deviceId: request.workerId,
      role: decision.role,
      publicKey: user.publicKey,
      issuedAt: user.issuedAt,
      expiresAt: user.expiresAt,
      revokedAt: null,
      revokedReason: null,
      note: null,
      enrolledBy: from,
    };
    await this.keep(credential);
    this.log.info({ deviceId: credential.deviceId, role: credential.role, enroller: from }, "worker enrolled");
    return { ok: true, credential, jwt: user.jwt };
  }

  /** Records a new credential; the device's earlier ones are revoked (a rotation), a quarantine lifted. */
  private async keep(credential: DeviceCredential): Promise<void> {
    const previous = this.active(credential.deviceId);
    await this.repository.save(credential);
    this.credentials.push(credential);
    if (this.quarantined.delete(credential.deviceId)) await this.repository.release(credential.deviceId);
    for (const old of previous) await this.revokeOne(old, `${ROTATED} a new credential was issued`);
  }

  list(): DeviceCredential[] {
    return [...this.credentials].sort((a, b) => b.issuedAt - a.issuedAt);
  }

  async revoke(request: PayloadOf<typeof CredentialRevoke>): Promise<RevokeReply> {
    if (this.authority === null) return noAuthority();
    const active = this.active(request.deviceId);
    if (active.length === 0)
      return refused("not_found", `device '${request.deviceId}' has no credential in force to revoke`);
    for (const credential of active) await this.revokeOne(credential, request.reason ?? "revoked by an operator");
    this.registry.leave(request.deviceId);
    return { ok: true, credential: active.at(-1)! };
  }

  /** A verifier caught this drafter lying about q: never pair it again, and cut it off. */
  async quarantine(workerId: string, reason: string, by: string): Promise<{ quarantined: boolean; revoked: boolean }> {
    this.log.warn({ workerId, reason, by }, "drafter quarantined");
    this.quarantined.set(workerId, reason);
    await this.repository.quarantine(workerId, `${reason} (caught by ${by})`);
    const active = this.authority === null ? [] : this.active(workerId);
    for (const credential of active) await this.revokeOne(credential, `quarantined: ${reason}`);
    this.registry.leave(workerId);
    return { quarantined: true, revoked: active.length > 0 };
  }

  /**
   * Why a registration is refused: its drafter is quarantined, or it claims a role its credential
   * was not issued for (a drafter posing as a verifier would be handed prompts to open). A worker
   * this authority issued nothing for (an operator's `admin` tool) is the operator's business.
   */
  private refusalOf(registration: WorkerRegistration): string | null {
    const quarantined = this.quarantined.get(registration.workerId);
    if (quarantined !== undefined) return quarantined;
    const issued = this.active(registration.workerId).at(-1);
    if (issued !== undefined && issued.role !== registration.role)
      return `its credential was issued for a ${issued.role}, not a ${registration.role}`;
    return null;
  }

  private active(deviceId: string): DeviceCredential[] {
    const now = Date.now();
    return this.credentials.filter(
      (c) => c.deviceId === deviceId && c.revokedAt === null && (c.expiresAt === null || c.expiresAt > now),
    );
  }

  private async revokeOne(credential: DeviceCredential, reason: string): Promise<void> {
    credential.revokedAt = Date.now();
    credential.revokedReason = reason.slice(0, 500);
    await this.repository.save(credential);
    await this.updates!.push(this.revocations());
    this.log.warn({ deviceId: credential.deviceId, publicKey: credential.publicKey, reason }, "credential revoked");
  }

  /** Every revoked key, void for JWTs issued up to a second after its revocation. */
  private revocations(): Revocations {
    const revocations: Revocations = {};
    for (const c of this.credentials)
      if (c.revokedAt !== null) revocations[c.publicKey] = Math.floor(c.revokedAt / 1000) + 1;
    return revocations;
  }
}

function noAuthority(): Refusal {
  return refused(
    "not_configured",
    "this registry is no credential authority: start it with NATS_AUTHORITY_FILE (docs/security.md)",
  );
}

type Refusal = { ok: false; error: { code: ErrorCode; message: string } };

function refused(code: ErrorCode, message: string): Refusal {
  return { ok: false, error: { code, message } };
}
