import { Module, type DynamicModule } from "@nestjs/common";
import { ClientsModule } from "@nestjs/microservices";
import type { DraftWorkerConfig } from "#config";
import type { Logger } from "#logging";
import { natsClientOptions, type ContractBus } from "#transport";
import { DrafterService, type DraftModel } from "./drafter.service.js";
import { CONTROL_PLANE, DRAFT_MODEL, DRAFTER_CONFIG, DRAFTER_LOGGER, WORKER_BUS } from "./tokens.js";

@Module({})
export class DraftWorkerModule {
  static forRoot(config: DraftWorkerConfig, log: Logger, bus: ContractBus, draft: DraftModel): DynamicModule {
    return {
      module: DraftWorkerModule,
      imports: [ClientsModule.register([{ name: CONTROL_PLANE, ...natsClientOptions(config.NATS_URL, `${config.WORKER_ID}-control`) }])],
      providers: [
        { provide: DRAFTER_CONFIG, useValue: config },
        { provide: DRAFTER_LOGGER, useValue: log },
        { provide: WORKER_BUS, useValue: bus },
        { provide: DRAFT_MODEL, useValue: draft },
        DrafterService,
      ],
    };
  }
}
