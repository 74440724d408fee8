import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Provider,
} from "@nestjs/common";
import type { Redis } from "ioredis";
import { redisEndpointOf, type GatewayConfig } from "#config";
import type { Logger } from "#logging";
import { closeRedis, connectRedis } from "#redis";
import { GatewayJobsReport } from "#contracts";
import { controlPlaneProcessName } from "#metrics";
import type { ContractBus } from "#transport";
import { ChatCompletions } from "../chat/chat-completions.js";
import { TextCompletions } from "../completions/text-completions.js";
import { ApiKeyRepository, UsageLedger } from "../keys/index.js";
import { GatewayStore } from "../store.js";
import { GATEWAY_CONFIG, GATEWAY_LOGGER, WORKER_BUS } from "../tokens.js";
import { FleetRequestExecutor } from "./fleet-executor.js";
import { IdempotencyKeys } from "./idempotency.js";
import { ANONYMOUS } from "./job.js";
import { JobRequestValidator } from "./job-request.js";
import { JobRunner } from "./job-runner.js";
import { JobStore } from "./job-store.js";
import { JobsReport } from "./jobs-report.js";
import { JobsController } from "./jobs.controller.js";
import { JobsService } from "./jobs.service.js";
import { WebhookSender } from "./webhooks.js";

/**
 * The jobs engine of one gateway: its BullMQ connection, the runner that takes jobs from the
 * queue, and the webhook sender; started once the application is up, stopped before Redis closes.
 */
@Injectable()
export class JobsEngine implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly connection: Redis;
  readonly runner: JobRunner;
  readonly webhooks: WebhookSender;
  private readonly report: JobsReport;

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    @Inject(GATEWAY_LOGGER) log: Logger,
    @Inject(WORKER_BUS) bus: ContractBus,
    store: JobStore,
    keys: ApiKeyRepository,
    ledger: UsageLedger,
    text: TextCompletions,
    chat: ChatCompletions,
  ) {
    this.connection = connectRedis(redisEndpointOf(config), "gateway-jobs", log);
    this.webhooks = new WebhookSender(
      this.connection,
      (tenant) => keys.webhookSecretOf(tenant),
      config.JOBS_WEBHOOK_SECRET,
      log,
    );
    this.runner = new JobRunner({
      config,
      log,
      bus,
      store,
      connection: this.connection,
      executor: new FleetRequestExecutor(config, text, chat),
      webhooks: this.webhooks,
      recorded: (job, result) => {
        const usage = { ...result.usage, requests: 1 };
        ledger
          .record(job.record.tenant === ANONYMOUS ? null : job.record.tenant, usage)
          .catch((err: Error) => log.warn({ jobId: job.record.id, err: err.message }, "usage not recorded"));
      },
    });
    this.report = new JobsReport(
      () => this.runner.takeProgress(),
      (report) => bus.publish(GatewayJobsReport, "", report),
      controlPlaneProcessName("gateway"),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.runner.start();
    this.webhooks.start();
    this.report.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.close();
    this.report.stop();
    await this.webhooks.close();
    await closeRedis(this.connection);
  }
}

export const jobsControllers = [JobsController];

export const jobsProviders: Provider[] = [
  {
    provide: JobStore,
    useFactory: (s: GatewayStore, log: Logger) => new JobStore(s.redis, log),
    inject: [GatewayStore, GATEWAY_LOGGER],
  },
  {
    provide: JobRequestValidator,
    useFactory: (c: GatewayConfig) => new JobRequestValidator(c),
    inject: [GATEWAY_CONFIG],
  },
  {
    provide: IdempotencyKeys,
    useFactory: (s: GatewayStore, c: GatewayConfig) =>
      new IdempotencyKeys(s.redis, c.JOBS_IDEMPOTENCY_HOURS * 3_600_000),
    inject: [GatewayStore, GATEWAY_CONFIG],
  },
  JobsEngine,
  {
    provide: JobsService,
    useFactory: (
      c: GatewayConfig,
      store: JobStore,
      engine: JobsEngine,
      v: JobRequestValidator,
      i: IdempotencyKeys,
      bus: ContractBus,
    ) => new JobsService(c, store, engine.runner, v, i, bus),
    inject: [GATEWAY_CONFIG, JobStore, JobsEngine, JobRequestValidator, IdempotencyKeys, WORKER_BUS],
  },
];
