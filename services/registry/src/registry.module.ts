import { Module, type DynamicModule } from "@nestjs/common";
import type { RegistryConfig } from "#config";
import type { Logger } from "#logging";
import type { RegistryMetrics } from "#metrics";
import type { ContractBus } from "#transport";
import { CredentialAuthorityService } from "./credentials/credential-authority.service.js";
import { RedisCredentialRepository } from "./credentials/credential-repository.js";
import { CREDENTIAL_REPOSITORY } from "./credentials/credential-tokens.js";
import { CredentialsController } from "./credentials/credentials.controller.js";
import { FleetController } from "./fleet.controller.js";
import { FleetRegistryService } from "./fleet-registry.service.js";
import { REGISTRY_BUS, REGISTRY_CONFIG, REGISTRY_LOGGER, REGISTRY_METRICS, WORKER_REPOSITORY } from "./tokens.js";
import { RedisWorkerRepository } from "./worker-repository.js";

@Module({})
export class RegistryModule {
  static forRoot(config: RegistryConfig, log: Logger, bus: ContractBus, metrics: RegistryMetrics): DynamicModule {
    return {
      module: RegistryModule,
      controllers: [FleetController, CredentialsController],
      providers: [
        { provide: REGISTRY_CONFIG, useValue: config },
        { provide: REGISTRY_LOGGER, useValue: log },
        { provide: REGISTRY_BUS, useValue: bus },
        { provide: REGISTRY_METRICS, useValue: metrics },
        RedisWorkerRepository,
        { provide: WORKER_REPOSITORY, useExisting: RedisWorkerRepository },
        FleetRegistryService,
        RedisCredentialRepository,
        { provide: CREDENTIAL_REPOSITORY, useExisting: RedisCredentialRepository },
        CredentialAuthorityService,
      ],
    };
  }
}
