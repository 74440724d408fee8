import { Module, type DynamicModule } from "@nestjs/common";
import { pairingTuningOf, type SchedulerConfig } from "#config";
import { SchedulerMoves } from "#contracts";
import { schedulerMetrics, type ActorRegistry, type SchedulerMetrics } from "#metrics";
import type { Logger } from "#logging";
import type { ContractBus } from "#transport";
import { createPairingPolicy } from "#pairing";
import { AdmissionService } from "./admission/admission.service.js";
import { FleetViewService } from "./fleet/fleet-view.service.js";
import { FencedSessionWorkers } from "./leadership/fenced-session-workers.js";
import type { Leadership } from "./leadership/leadership.js";
import { InsightPublisher } from "./insight/insight-publisher.js";
import { MoveLog } from "./insight/move-log.js";
import { PlacementInsight } from "./insight/placement-insight.js";
import { RebalancerService } from "./rebalancing/rebalancer.service.js";
import { RecoveryService } from "./recovery/recovery.service.js";
import { SchedulerController } from "./scheduler.controller.js";
import { SchedulerService } from "./scheduler.service.js";
import { SessionSteps } from "./sessions/session-steps.js";
import { SessionTable } from "./sessions/session-table.js";
import { NatsSessionWorkers } from "./sessions/session-workers.js";
import { SchedulerStore } from "./store.js";
import {
  ADMISSION_REPOSITORY,
  LEADERSHIP,
  PAIRING_POLICY,
  PAIRING_TUNING,
  SCHEDULER_CONFIG,
  SCHEDULER_LOGGER,
  SCHEDULER_METRICS,
  SESSION_STEPS,
  SESSION_TABLE,
  SESSION_WORKERS,
  WORKER_BUS,
} from "./tokens.js";

@Module({})
export class SchedulerModule {
  /**
   * `metrics`: the process's registry (main.ts reports it on the bus); the scheduler's metrics are
   * declared on it. `leadership`: the lease this replica holds (made only once it leads).
   */
  static forRoot(
    config: SchedulerConfig,
    log: Logger,
    bus: ContractBus,
    metrics: ActorRegistry,
    leadership: Leadership,
  ): DynamicModule {
    return {
      module: SchedulerModule,
      controllers: [SchedulerController],
      providers: [
        { provide: SCHEDULER_CONFIG, useValue: config },
        { provide: SCHEDULER_LOGGER, useValue: log },
        { provide: LEADERSHIP, useValue: leadership },
        { provide: WORKER_BUS, useValue: bus },
        { provide: PAIRING_TUNING, useValue: pairingTuningOf(config) },
        {
          provide: PAIRING_POLICY,
          useFactory: () => createPairingPolicy(config.PAIRING_POLICY, pairingTuningOf(config)),
        },
        { provide: SESSION_STEPS, useFactory: () => new SessionSteps(log) },
        SchedulerStore,
        {
          provide: ADMISSION_REPOSITORY,
          useFactory: (store: SchedulerStore) => store.admission,
          inject: [SchedulerStore],
        },
        {
          provide: SESSION_TABLE,
          useFactory: (store: SchedulerStore) => new SessionTable(store.sessions),
          inject: [SchedulerStore],
        },
        {
          provide: SESSION_WORKERS,
          useFactory: (fleet: FleetViewService) =>
            new FencedSessionWorkers(
              new NatsSessionWorkers(
                bus,
                log,
                config.SCHEDULER_OPEN_TIMEOUT_MS,
                (id) => fleet.profileOf(id),
                (id) => fleet.modelOf(id),
              ),
              leadership,
            ),
          inject: [FleetViewService],
        },
        { provide: SCHEDULER_METRICS, useFactory: () => schedulerMetrics(metrics) },
        PlacementInsight,
        {
          provide: MoveLog,
          useFactory: (m: SchedulerMetrics) => new MoveLog((move) => bus.publish(SchedulerMoves, "", move), m),
          inject: [SCHEDULER_METRICS],
        },
        InsightPublisher,
        FleetViewService,
        AdmissionService,
        RecoveryService,
        RebalancerService,
        SchedulerService,
      ],
    };
  }
}
