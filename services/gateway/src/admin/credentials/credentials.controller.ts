import { Body, Controller, Delete, Get, Header, HttpCode, Inject, Param, Post, Query, UseGuards } from "@nestjs/common";
import type { z } from "zod";
import { CredentialIssue, CredentialList, CredentialRevoke, isReservedIdentity, workerIdSchema } from "#contracts";
import { HttpApiError } from "#http";
import type { Logger } from "#logging";
import { fetchFleetSnapshot, type ContractBus } from "#transport";
import { parseRequest } from "../../http/parse-request.js";
import { GATEWAY_LOGGER, WORKER_BUS } from "../../tokens.js";
import { AdminAccessGuard } from "../admin-access.guard.js";
import { fromAuthorityFailure, fromAuthorityRefusal } from "./credential-errors.js";
import {
  issueCredentialBodySchema,
  revokeCredentialBodySchema,
  type credentialListSchema,
  type CredentialView,
  type issuedCredentialSchema,
} from "./credential-schemas.js";
import { credentialList, credentialView } from "./credential-views.js";

/** Signing a key and pushing an account update to NATS take a moment: more than a snapshot's 3 s. */
const AUTHORITY_TIMEOUT_MS = 10_000;

/**
 * Device credentials (issue 14): the operator asks the registry, the fleet's credential authority,
 * to issue a device its NATS credential (the `.creds` file is in that answer only, never logged,
 * never cached), to list what it issued (public parts, with where each device stands now), and to
 * revoke one (NATS cuts the device off at once). Behind `AdminAccessGuard` like all of /admin.
 */
@Controller("admin/credentials")
@UseGuards(AdminAccessGuard)
export class CredentialsController {
  constructor(
    @Inject(WORKER_BUS) private readonly bus: ContractBus,
    @Inject(GATEWAY_LOGGER) private readonly log: Logger,
  ) {}

  @Post()
  @HttpCode(201)
  @Header("Cache-Control", "no-store")
  async issue(@Body() body: unknown): Promise<z.infer<typeof issuedCredentialSchema>> {
    const request = parseRequest(issueCredentialBodySchema, body ?? {});
    refuseReserved(request.device_id);
    const reply = await this.bus
      .request(
        CredentialIssue,
        "",
        { deviceId: request.device_id, role: request.role, expiresInS: request.expires_in_s, note: request.note },
        AUTHORITY_TIMEOUT_MS,
      )
      .catch((error: unknown) => {
        throw fromAuthorityFailure(error);
      });
    if (!reply.ok) throw fromAuthorityRefusal(reply.error);
    const { credential } = reply;
    this.log.info(
      { deviceId: credential.deviceId, role: credential.role, publicKey: credential.publicKey },
      "device credential issued",
    );
    return { ...credentialView(credential), creds: reply.creds };
  }

  @Get()
  async list(): Promise<z.infer<typeof credentialListSchema>> {
    const [listed, snapshot] = await Promise.all([
      this.bus.request(CredentialList, "", {}, AUTHORITY_TIMEOUT_MS).catch((error: unknown) => {
        throw fromAuthorityFailure(error);
      }),
      // Where each device stands is a courtesy: without a snapshot the list still answers.
      fetchFleetSnapshot(this.bus, 3000).catch(() => null),
    ]);
    return credentialList(listed.credentials, snapshot);
  }

  @Delete(":device_id")
  async revoke(
    @Param("device_id") deviceId: string,
    @Body() body: unknown,
    @Query() query: unknown,
  ): Promise<CredentialView> {
    if (!workerIdSchema.safeParse(deviceId).success)
      throw HttpApiError.invalid(`'${deviceId}' is not a device id (letters, digits, '-' or '_')`, "device_id");
    refuseReserved(deviceId);
    const fromBody = parseRequest(revokeCredentialBodySchema, body ?? {});
    const fromQuery = parseRequest(revokeCredentialBodySchema, query ?? {});
    const reason = fromBody.reason ?? fromQuery.reason;
    const reply = await this.bus
      .request(CredentialRevoke, "", { deviceId, reason }, AUTHORITY_TIMEOUT_MS)
      .catch((error: unknown) => {
        throw fromAuthorityFailure(error);
      });
    if (!reply.ok) throw fromAuthorityRefusal(reply.error);
    this.log.warn({ deviceId, publicKey: reply.credential.publicKey, reason }, "device credential revoked");
    return credentialView(reply.credential);
  }
}

/** The control plane's own identities are made by the operator, never issued or revoked here. */
function refuseReserved(deviceId: string): void {
  if (isReservedIdentity(deviceId))
    throw HttpApiError.invalid(
      `'${deviceId}' is a control-plane identity, not a device id: the fleet's own credentials are made with it`,
      "device_id",
      "reserved_identity",
    );
}
