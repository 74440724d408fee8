import type { Llama } from "node-llama-cpp";
import type { VerifyWorkerConfig } from "#config";
import type { Logger } from "#logging";
import type { VerifierMetrics } from "#metrics";
import type { ContractBus } from "#transport";
import { AuditMeter } from "./audit-meter.js";
import { AuditModels } from "./audit-models.js";
import { DrafterAudit } from "./drafter-audit.js";
import { DrawCheck } from "./draw-check.js";
import { Quarantine } from "./quarantine.js";
import { RecomputeAudit } from "./recompute-audit.js";

export interface VerifierAudit {
  audit: DrafterAudit;
  /** Settles when the recomputes submitted so far are done. */
  idle(): Promise<void>;
  dispose(): Promise<void>;
}

/** The audit's parts from the verifier's configuration: the draw check always, the recompute when a fraction and models are set. */
export function createVerifierAudit(
  config: VerifyWorkerConfig,
  llama: Llama,
  bus: ContractBus,
  log: Logger,
  metrics: VerifierMetrics,
  refuse: (drafterId: string, reason: string) => number,
): VerifierAudit {
  const meter = new AuditMeter(metrics, config.METRICS_MAX_PAIRS);
  const models =
    config.VERIFY_AUDIT_MODELS.length > 0
      ? new AuditModels(
          llama,
          {
            locations: config.VERIFY_AUDIT_MODELS,
            cacheDir: config.MODEL_CACHE_DIR,
            fetchTimeoutMs: config.MODEL_FETCH_TIMEOUT_MS,
            contextSize: config.CONTEXT_SIZE,
            threads: config.THREADS,
          },
          log,
        )
      : null;
  const quarantine = new Quarantine(bus, log, meter, refuse);
  let audit: DrafterAudit | null = null;
  const recompute = new RecomputeAudit(models, config.VERIFY_AUDIT_FRACTION, meter, log, (forged) =>
    audit?.forged(forged),
  );
  audit = new DrafterAudit(new DrawCheck(), recompute, quarantine, meter);
  return {
    audit,
    idle: () => recompute.idle(),
    dispose: async () => {
      await recompute.idle();
      await models?.dispose();
    },
  };
}
