import type { WorkerProfile } from "#contracts";
import { Module, type DynamicModule, type Provider, type Type } from "@nestjs/common";
import type { WorkerConfig } from "#config";
import type { Logger } from "#logging";
import type { ContractBus } from "#transport";
import type { LlamaContext } from "node-llama-cpp";
import type { LoadedModel, NativeModel } from "#llama";

/** Nest tokens shared by both kinds of worker. */
export const WORKER_CONFIG = Symbol("WORKER_CONFIG");
export const WORKER_LOGGER = Symbol("WORKER_LOGGER");
/** The process's one ContractBus: the hot path, session streams and the control plane. */
export const WORKER_BUS = Symbol("WORKER_BUS");
export const WORKER_MODEL = Symbol("WORKER_MODEL");
/** The worker's metrics (libs/metrics), reported on the bus every METRICS_REPORT_MS. */
export const WORKER_METRICS = Symbol("WORKER_METRICS");

/** A worker's model: the loaded file and one context with a sequence per session. */
export interface WorkerModel {
  loaded: LoadedModel;
  context: LlamaContext;
  /**
   * The model on the native runner, when built and enabled: where a verifier verifies greedy
   * sessions (TARGET_NATIVE) and a drafter drafts them (DRAFT_NATIVE); sampled ones use `context`.
   */
  native: NativeModel | null;
  /** Verifiers with SELF_DRAFT_MODEL: the co-located draft model and how it is run. */
  selfDraft?: SelfDraftModel;
  /** What the worker measured of itself at start (empty when PROFILE_AT_START is off). */
  profile?: WorkerProfile;
}

/**
 * A verifier's co-located draft model: its context (a sequence per session) and, when built and
 * enabled (SELF_DRAFT_NATIVE), the native runner that drafts its greedy windows.
 */
export interface SelfDraftModel {
  loaded: LoadedModel;
  context: LlamaContext;
  native: NativeModel | null;
}

@Module({})
export class WorkerModule {
  /** The module of a worker process: its configuration, bus, model and session service. */
  static forRoot(
    config: WorkerConfig,
    log: Logger,
    bus: ContractBus,
    model: WorkerModel,
    service: Type<unknown>,
    providers: Provider[] = [],
  ): DynamicModule {
    return {
      module: WorkerModule,
      providers: [
        { provide: WORKER_CONFIG, useValue: config },
        { provide: WORKER_LOGGER, useValue: log },
        { provide: WORKER_BUS, useValue: bus },
        { provide: WORKER_MODEL, useValue: model },
        ...providers,
        service,
      ],
    };
  }
}
