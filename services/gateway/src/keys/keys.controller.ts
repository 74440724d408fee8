import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, UseGuards } from "@nestjs/common";
import type { z } from "zod";
import type { Logger } from "#logging";
import { AdminAccessGuard } from "../admin/admin-access.guard.js";
import { HttpApiError } from "#http";
import { parseRequest } from "../http/parse-request.js";
import { GATEWAY_LOGGER } from "../tokens.js";
import type { ApiKey } from "./api-key.js";
import { KeyDirectory } from "./key-directory.js";
import { ApiKeyRepository } from "./key-repository.js";
import {
  createKeyBodySchema,
  usageQuerySchema,
  type createdKeySchema,
  type keyListSchema,
  type keyUsageSchema,
  type keyViewSchema,
  type keyWithUsageSchema,
  type rotatedWebhookSecretSchema,
} from "./key-schemas.js";
import { createdKeyView, keyView, limitsFromBody, usageView } from "./key-views.js";
import { UsageLedger } from "./usage-ledger.js";

/**
 * The operator's API for API keys (protected like the rest of /admin): create (the secret is in
 * that answer only), list, show with usage, revoke, usage, and a new webhook signing secret.
 * Each answer is typed by its schema in `key-schemas.ts`, which `openapi.ts` documents.
 */
@Controller("admin/keys")
@UseGuards(AdminAccessGuard)
export class KeysController {
  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly directory: KeyDirectory,
    private readonly ledger: UsageLedger,
    @Inject(GATEWAY_LOGGER) private readonly log: Logger,
  ) {}

  @Post()
  @HttpCode(201)
  async create(@Body() body: unknown): Promise<z.infer<typeof createdKeySchema>> {
    const request = parseRequest(createKeyBodySchema, body ?? {});
    const { key, secret } = await this.keys.create({
      name: request.name,
      limits: limitsFromBody(request.limits),
      jobPriority: request.job_priority,
      priorityRange: request.priority_range,
    });
    this.directory.invalidate();
    this.log.info({ keyId: key.id, name: key.name, display: key.display }, "API key created");
    return createdKeyView(key, secret);
  }

  @Get()
  async list(): Promise<z.infer<typeof keyListSchema>> {
    return { object: "list", data: (await this.keys.list()).map(keyView) };
  }

  @Get(":id")
  async show(@Param("id") id: string): Promise<z.infer<typeof keyWithUsageSchema>> {
    const key = await this.existing(id);
    return { ...keyView(key), usage: usageView(key.id, await this.ledger.usage(key.id)) };
  }

  @Get(":id/usage")
  async usage(@Param("id") id: string, @Query() query: unknown): Promise<z.infer<typeof keyUsageSchema>> {
    const { days } = parseRequest(usageQuerySchema, query ?? {});
    const key = await this.existing(id);
    return usageView(key.id, await this.ledger.usage(key.id, days));
  }

  @Post(":id/revoke")
  @HttpCode(200)
  revokePost(@Param("id") id: string): Promise<z.infer<typeof keyViewSchema>> {
    return this.revoke(id);
  }

  @Delete(":id")
  revokeDelete(@Param("id") id: string): Promise<z.infer<typeof keyViewSchema>> {
    return this.revoke(id);
  }

  /** A new secret for the key's job webhooks, shown this once; the old one stops signing at once. */
  @Post(":id/webhook-secret")
  @HttpCode(200)
  async rotateWebhookSecret(@Param("id") id: string): Promise<z.infer<typeof rotatedWebhookSecretSchema>> {
    const rotated = await this.keys.rotateWebhookSecret(id);
    if (rotated === null) throw notFound(id, "or it was revoked");
    this.log.info({ keyId: id }, "API key webhook secret rotated");
    return { ...keyView(rotated.key), webhook_secret: rotated.webhookSecret };
  }

  private async revoke(id: string): Promise<z.infer<typeof keyViewSchema>> {
    const key = await this.keys.revoke(id);
    if (key === null) throw notFound(id);
    this.directory.invalidate();
    this.log.info({ keyId: key.id, name: key.name }, "API key revoked");
    return keyView(key);
  }

  private async existing(id: string): Promise<ApiKey> {
    const key = await this.keys.get(id);
    if (key === null) throw notFound(id);
    return key;
  }
}

function notFound(id: string, more = ""): HttpApiError {
  return new HttpApiError(
    404,
    `no API key '${id}'${more ? ` ${more}` : ""}`,
    "invalid_request_error",
    "api_key_not_found",
    "id",
  );
}
