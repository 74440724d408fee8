import { writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { MODEL_PATH } from "../support/fleet.js";

/** The tiny model's name as the fleet serves it (MODEL_NAME). */
export const MODEL = basename(MODEL_PATH, ".gguf");

export interface LocalPools {
  verifyReplicas: number;
  /** Extra variables of the verify pool (its `env` value). */
  verifyEnv?: Record<string, string>;
  draftEnv?: Record<string, string>;
}

/**
 * A values file (in `dir`) for the tests' pools: one verify pool and one draft pool serving the tiny
 * model from this machine's folder as a hostPath (as ci/minimal.yaml does on a node), so no test
 * downloads a model. Written as JSON, which is YAML.
 */
export function localModelPools(dir: string, pools: LocalPools): string {
  const model = { uri: `/models/${basename(MODEL_PATH)}`, name: MODEL, volume: { hostPath: dirname(MODEL_PATH) } };
  const resources = { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } };
  const pool = { name: "cpu", model, threads: 1, maxSessions: 8, contextSize: 512, resources };
  const values = {
    verifyPools: [{ ...pool, replicas: pools.verifyReplicas, env: pools.verifyEnv ?? {} }],
    draftPools: [{ ...pool, replicas: 1, env: pools.draftEnv ?? {} }],
  };
  const file = join(dir, "e2e-pools.yaml");
  writeFileSync(file, JSON.stringify(values, null, 2));
  return file;
}
