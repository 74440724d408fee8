import type { Actor } from "#contracts";
import { createActorRegistry, type ActorRegistry } from "./actor-registry.js";
import { drafterMetrics } from "./drafter-metrics.js";
import { gatewayMetrics } from "./gateway-metrics.js";
import { registryMetrics } from "./registry-metrics.js";
import { schedulerMetrics } from "./scheduler-metrics.js";
import { verifierMetrics } from "./verifier-metrics.js";

export interface CatalogEntry {
  name: string;
  actor: Actor;
  type: string;
  help: string;
  labels: string[];
}

const FACTORIES: [Actor, (r: ActorRegistry) => unknown][] = [
  ["gateway", gatewayMetrics],
  ["scheduler", schedulerMetrics],
  ["registry", registryMetrics],
  ["verify-worker", verifierMetrics],
  ["draft-worker", drafterMetrics],
];

/** Every SpecFleet metric (not prom-client's process defaults), as docs/metrics.md must list them. */
export async function metricCatalog(): Promise<CatalogEntry[]> {
  const entries: CatalogEntry[] = [];
  for (const [actor, create] of FACTORIES) {
    const registry = createActorRegistry(actor, "catalog", { processMetrics: false });
    create(registry);
    for (const m of await registry.registry.getMetricsAsJSON()) {
      const { labelNames } = registry.registry.getSingleMetric(m.name) as unknown as { labelNames: string[] };
      entries.push({ name: m.name, actor, type: String(m.type), help: m.help, labels: labelNames });
    }
  }
  return entries;
}
