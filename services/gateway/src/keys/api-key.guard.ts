import { Inject, Injectable, type CanActivate, type ExecutionContext } from "@nestjs/common";
import type { Request } from "express";
import type { GatewayConfig } from "#config";
import { bearerToken, HttpApiError } from "#http";
import { GATEWAY_CONFIG } from "../tokens.js";
import type { ApiKey } from "./api-key.js";
import { setCaller, type Caller } from "./caller.js";
import { KeyDirectory, KeyLookupTimeout } from "./key-directory.js";
import { PRIORITY_BOUND } from "./key-schemas.js";
import { looksLikeKey } from "./key-secret.js";

/**
 * Every `/v1` route (whoever wrote it): while at least one key is not revoked, the request needs
 * `Authorization: Bearer <key>` (401 `invalid_api_key` otherwise); with no key, /v1 is open and
 * the caller anonymous (a token sent anyway, as OpenAI's clients always do, is ignored). The
 * caller is then available to handlers through `callerOf(req)`.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly directory: KeyDirectory,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== "http") return true;
    const request = context.switchToHttp().getRequest<Request>();
    if (!isV1(request.path)) return true;
    try {
      setCaller(request, await this.callerFor(request.headers.authorization));
    } catch (err) {
      throw err instanceof KeyLookupTimeout ? keyStoreUnavailable(err) : err;
    }
    return true;
  }

  private async callerFor(authorization: string | undefined): Promise<Caller> {
    if (!(await this.directory.keysRequired())) return this.anonymous();
    const token = bearerToken(authorization);
    if (token === null)
      throw unauthorized(
        "You didn't provide an API key. This gateway needs 'Authorization: Bearer <key>' (keys are made with `specfleet keys create`).",
      );
    const key = looksLikeKey(token) ? await this.directory.keyOf(token) : null;
    if (key === null) throw unauthorized(`Incorrect API key provided: ${redacted(token)}.`);
    if (key.revokedAt !== null) throw unauthorized(`The API key ${key.display} was revoked.`);
    return callerOfKey(key);
  }

  private anonymous(): Caller {
    return {
      keyId: null,
      name: null,
      limits: {},
      jobPriority: 0,
      priorityRange: { min: this.config.GATEWAY_ANON_PRIORITY_MIN, max: PRIORITY_BOUND },
    };
  }
}

/** The paths the guard protects (the OpenAPI document marks the same ones). */
export function isV1(path: string): boolean {
  return path === "/v1" || path.startsWith("/v1/");
}

export function callerOfKey(key: ApiKey): Caller {
  return {
    keyId: key.id,
    name: key.name,
    limits: key.limits,
    jobPriority: key.jobPriority,
    priorityRange: key.priorityRange,
  };
}

function unauthorized(message: string): HttpApiError {
  return new HttpApiError(401, message, "invalid_request_error", "invalid_api_key");
}

/** Redis did not answer the key lookup in time: nothing is known about the caller yet, so try again. */
function keyStoreUnavailable(timeout: KeyLookupTimeout): HttpApiError {
  return new HttpApiError(
    503,
    `The API key could not be checked: ${timeout.message}. Please retry shortly.`,
    "service_unavailable",
    "key_store_unavailable",
    null,
    Math.max(1, Math.ceil(timeout.waitedMs / 1000)),
  );
}

/** A wrong token shown as OpenAI does: enough to recognise a typo, never the whole of it. */
function redacted(token: string): string {
  return token.length <= 8 ? "***" : `${token.slice(0, 6)}***${token.slice(-2)}`;
}
