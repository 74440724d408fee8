import { Module, type DynamicModule } from "@nestjs/common";
import { ClientsModule } from "@nestjs/microservices";
import type { VerifyWorkerConfig } from "#config";
import type { Logger } from "#logging";
import { natsClientOptions, type ContractBus } from "#transport";
import { CONTROL_PLANE, TARGET_MODEL, VERIFIER_CONFIG, VERIFIER_LOGGER, WORKER_BUS } from "./tokens.js";
import { VerifierService, type TargetModel } from "./verifier.service.js";

@Module({})
export class VerifyWorkerModule {
  static forRoot(config: VerifyWorkerConfig, log: Logger, bus: ContractBus, target: TargetModel): DynamicModule {
    return {
      module: VerifyWorkerModule,
      imports: [ClientsModule.register([{ name: CONTROL_PLANE, ...natsClientOptions(config.NATS_URL, `${config.WORKER_ID}-control`) }])],
      providers: [
        { provide: VERIFIER_CONFIG, useValue: config },
        { provide: VERIFIER_LOGGER, useValue: log },
        { provide: WORKER_BUS, useValue: bus },
        { provide: TARGET_MODEL, useValue: target },
        VerifierService,
      ],
    };
  }
}
