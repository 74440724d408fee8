import { availableParallelism } from "node:os";
import { describeCorePlan, planCores, type CorePlan, type FleetWorker } from "#infra";

export interface FleetThreadOptions {
  /** `--threads`: the budget all workers share. */
  threads: number;
  verifierThreads?: number;
  drafterThreads?: number;
  /** The verifiers draft for themselves (fused execution): they get the whole budget. */
  fused: boolean;
}

export interface FleetThreads {
  verifiers: FleetWorker[];
  drafters: FleetWorker[];
  plan: CorePlan;
  /** What `fleet up` prints: the plan, and the warning when it oversubscribes the machine. */
  lines: string[];
}

/** The fleet's workers with their planned threads (libs/infra core-plan.ts has the rule). */
export function fleetThreads(
  workers: { verifiers: FleetWorker[]; drafters: FleetWorker[] },
  options: FleetThreadOptions,
  machineCores: number = availableParallelism(),
): FleetThreads {
  const plan = planCores({
    budget: options.threads,
    verifiers: workers.verifiers.length,
    drafters: workers.drafters.length,
    machineCores,
    fused: options.fused,
    verifierThreads: options.verifierThreads,
    drafterThreads: options.drafterThreads,
  });
  const verifiers = workers.verifiers.map((worker, i) => ({ ...worker, threads: plan.verifiers[i] }));
  const drafters = workers.drafters.map((worker, i) => ({ ...worker, threads: plan.drafters[i] }));
  const names = (list: FleetWorker[]) => list.map((worker, i) => worker.id ?? String(i + 1));
  const described = describeCorePlan(plan, names(workers.verifiers), names(workers.drafters));
  return { verifiers, drafters, plan, lines: [`  ${described}`, ...(plan.warning === null ? [] : [plan.warning])] };
}
