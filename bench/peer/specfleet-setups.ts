/** bench:peer's SpecFleet side: local fleets started as `npm start` starts them (cli/fleet-up.ts). */
import { join } from "node:path";
import { verifyWorkerConfigSchema } from "#config";
import { startLocalFleet } from "#infra";
import { fleetModels } from "../../cli/fleet-models.js";
import { fleetThreads } from "../../cli/fleet-threads.js";
import { slug } from "./llama-setups.js";
import type { PeerModels, PeerSetup } from "./setup.js";

/** One SpecFleet setup: `fleet up` with these options (one verifier, `--threads` = the bench's cores). */
interface SpecFleetSetup {
  label: string;
  /** `--drafters`: stories260K, then q4_0, then q8_0 (cli/fleet-models.ts). */
  drafters: number;
  /** Every worker gets all the cores (`--threads` as it was before issue 16: a count per worker). */
  threadsPerWorker?: boolean;
  /** The verifier drafts for itself with this draft model (fused execution, SELF_DRAFT_MODEL). */
  selfDraft?: string;
  /** More of the verifier's variables (beside SELF_DRAFT_MODEL). */
  verifierEnv?: Record<string, string>;
}

/** Adding a SpecFleet setup to the bench is one line here. */
export const SPECFLEET_SETUPS: readonly SpecFleetSetup[] = [
  { label: "SpecFleet npm start (1 verifier, 2 drafters)", drafters: 2 },
  { label: "SpecFleet --drafters 1", drafters: 1 },
  { label: "SpecFleet --drafters 0 (target only)", drafters: 0 },
  { label: "SpecFleet, every worker on all cores (--threads before issue 16)", drafters: 2, threadsPerWorker: true },
  { label: "SpecFleet fused (verifier drafts with stories260K)", drafters: 0, selfDraft: "stories260K" },
  {
    label: "SpecFleet fused, all through node-llama-cpp (SELF_DRAFT_NATIVE=false TARGET_NATIVE=false)",
    drafters: 0,
    selfDraft: "stories260K",
    verifierEnv: { SELF_DRAFT_NATIVE: "false", TARGET_NATIVE: "false" },
  },
  { label: "SpecFleet fused (verifier drafts with q4_0)", drafters: 0, selfDraft: "q4_0" },
];

/** Fused execution exists once the verifier's configuration knows SELF_DRAFT_MODEL (issue 16, item 2). */
export function fusedAvailable(): boolean {
  return "SELF_DRAFT_MODEL" in verifyWorkerConfigSchema.shape;
}

export function specFleetSetups(models: PeerModels): PeerSetup[] {
  return SPECFLEET_SETUPS.filter((s) => s.selfDraft === undefined || fusedAvailable()).map((spec) => ({
    label: spec.label,
    side: "specfleet",
    speculative: spec.drafters > 0 || spec.selfDraft !== undefined,
    start: async ({ cores, logDir }) => {
      const fleet = await fleetModels(models.source, { verifiers: 1, drafters: spec.drafters }, false);
      const threads = fleetThreads(
        fleet,
        {
          threads: cores,
          fused: spec.selfDraft !== undefined,
          ...(spec.threadsPerWorker ? { verifierThreads: cores, drafterThreads: cores } : {}),
        },
        cores,
      );
      const selfDraft = spec.selfDraft === undefined ? undefined : draftPath(models, spec.selfDraft);
      // What cli/fleet-up.ts passes for `npm start` (a secured fleet with its dashboard, adaptive
      // pipelined drafters, LOG_LEVEL info), on free ports and an ephemeral Redis.
      const running = await startLocalFleet({
        gatewayPort: 0,
        dashboard: true,
        dashboardPort: 0,
        verifiers: threads.verifiers,
        drafters: threads.drafters,
        modelPath: models.source,
        modelName: fleet.modelName,
        serviceEnv: {
          "draft-worker": { WINDOW_POLICY: "adaptive", DRAFT_PIPELINE: "true" },
          ...(selfDraft === undefined ? {} : { "verify-worker": { SELF_DRAFT_MODEL: selfDraft, ...spec.verifierEnv } }),
        },
        logLevel: "info",
        logDir: join(logDir, slug(spec.label)),
      });
      return { url: running.gatewayUrl, model: fleet.modelName, stop: () => running.stop() };
    },
  }));
}

function draftPath(models: PeerModels, name: string): string {
  const draft = models.drafts.find((d) => d.name === name);
  if (draft === undefined) throw new Error(`no draft model '${name}' in this bench`);
  return draft.path;
}
