import { Module, type DynamicModule } from "@nestjs/common";
import { ClientsModule } from "@nestjs/microservices";
import { Redis } from "ioredis";
import type { RegistryConfig } from "#config";
import type { Logger } from "#logging";
import { natsClientOptions } from "#transport";
import { FleetController } from "./fleet.controller.js";
import { FleetRegistryService } from "./fleet-registry.service.js";
import { FLEET_EVENTS, REDIS, REGISTRY_CONFIG, REGISTRY_LOGGER } from "./tokens.js";

@Module({})
export class RegistryModule {
  static forRoot(config: RegistryConfig, log: Logger): DynamicModule {
    return {
      module: RegistryModule,
      imports: [
        ClientsModule.register([{ name: FLEET_EVENTS, ...natsClientOptions(config.NATS_URL, "registry-events") }]),
      ],
      controllers: [FleetController],
      providers: [
        { provide: REGISTRY_CONFIG, useValue: config },
        { provide: REGISTRY_LOGGER, useValue: log },
        {
          provide: REDIS,
          useFactory: () => new Redis(config.REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: false }),
        },
        FleetRegistryService,
      ],
    };
  }
}
