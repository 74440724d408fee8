import { Module, type DynamicModule } from "@nestjs/common";
import type { SchedulerConfig } from "#config";
import type { Logger } from "#logging";
import type { ContractBus } from "#transport";
import { DispatcherService } from "./dispatcher.service.js";
import { FleetViewService } from "./fleet-view.service.js";
import { SchedulerController } from "./scheduler.controller.js";
import { SCHEDULER_CONFIG, SCHEDULER_LOGGER, WORKER_BUS } from "./tokens.js";

@Module({})
export class SchedulerModule {
  static forRoot(config: SchedulerConfig, log: Logger, bus: ContractBus): DynamicModule {
    return {
      module: SchedulerModule,
      controllers: [SchedulerController],
      providers: [
        { provide: SCHEDULER_CONFIG, useValue: config },
        { provide: SCHEDULER_LOGGER, useValue: log },
        { provide: WORKER_BUS, useValue: bus },
        FleetViewService,
        DispatcherService,
      ],
    };
  }
}
