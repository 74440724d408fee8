import { Module, type DynamicModule } from "@nestjs/common";
import { APP_FILTER, APP_GUARD } from "@nestjs/core";
import { ApiErrorFilter } from "#http";
import { MulterModule } from "@nestjs/platform-express";
import type { GatewayConfig } from "#config";
import type { Logger } from "#logging";
import type { ContractBus } from "#transport";
import { CompletionService } from "./completions/completion.service.js";
import { CompletionsController } from "./completions/completions.controller.js";
import { TextCompletions } from "./completions/text-completions.js";
import { ChatController } from "./chat/chat.controller.js";
import { ChatCompletions } from "./chat/chat-completions.js";
import { adminControllers } from "./admin/admin-api.js";
import { ModelsController } from "./models/models.controller.js";
import { JsonBodyGuard } from "./http/json-body.guard.js";
import { OpenApiController } from "./http/openapi.controller.js";
import { jobsControllers, jobsProviders } from "./jobs/jobs.providers.js";
import { filesControllers, filesProviders, multerOptionsOf } from "./files/files.providers.js";
import { batchesControllers, batchesProviders } from "./batches/batches.providers.js";
import { keysProviders } from "./keys/index.js";
import { GatewayStore } from "./store.js";
import { GatewayMeters } from "./metrics/gateway-meters.js";
import { GATEWAY_CONFIG, GATEWAY_LOGGER, WORKER_BUS } from "./tokens.js";

@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig, log: Logger, bus: ContractBus): DynamicModule {
    return {
      module: GatewayModule,
      // Uploads (`POST /v1/files`) only: every other route takes JSON.
      imports: [MulterModule.register(multerOptionsOf(config))],
      controllers: [
        CompletionsController,
        ChatController,
        ModelsController,
        ...adminControllers(config),
        OpenApiController,
        ...jobsControllers,
        ...filesControllers,
        ...batchesControllers,
      ],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: GATEWAY_LOGGER, useValue: log },
        { provide: WORKER_BUS, useValue: bus },
        { provide: APP_FILTER, useFactory: () => new ApiErrorFilter(log) },
        // The API key guard first: a caller without a key learns that before anything about its body.
        ...keysProviders,
        { provide: APP_GUARD, useClass: JsonBodyGuard },
        GatewayStore,
        GatewayMeters,
        CompletionService,
        TextCompletions,
        ChatCompletions,
        ...jobsProviders,
        ...filesProviders,
        ...batchesProviders,
      ],
    };
  }
}
