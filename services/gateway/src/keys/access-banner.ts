import { Inject, Injectable, type OnApplicationBootstrap } from "@nestjs/common";
import type { Logger } from "#logging";
import { GATEWAY_LOGGER } from "../tokens.js";
import { ApiKeyRepository } from "./key-repository.js";

/** Says at start whether /v1 is open (no API key configured) or needs a key; never names a key. */
@Injectable()
export class AccessBanner implements OnApplicationBootstrap {
  constructor(
    private readonly keys: ApiKeyRepository,
    @Inject(GATEWAY_LOGGER) private readonly log: Logger,
  ) {}

  /** Not awaited: a Redis still starting must not hold the gateway's start. */
  onApplicationBootstrap(): void {
    this.keys.anyActive().then(
      (required) =>
        this.log.info(
          { v1: required ? "api_keys" : "open" },
          required
            ? "/v1 needs an API key (Authorization: Bearer <key>)"
            : "/v1 is open: no API keys configured (create one with `specfleet keys create` to require keys)",
        ),
      (err: unknown) => this.log.warn({ err: String(err) }, "could not tell whether API keys are configured"),
    );
  }
}
