/**
 * How a local fleet divides its CPU threads between its workers. `--threads` is a budget, the
 * total the fleet's workers may use; each worker process gets at least one thread.
 *
 * The rule: a drafter gets one thread (a draft model is small: a second thread buys it little, and
 * llama.cpp's thread pool spin-waits at every layer, so extra threads only cost), and the
 * verifiers share what is left, evenly (the target model's forward pass is the round's largest
 * cost). A fused fleet (a verifier drafting for itself with a co-located draft model) gives the
 * verifiers the whole budget: its draft passes and its verify passes take turns on the same cores.
 *
 * Oversubscription is what makes a local fleet slow: a process whose llama.cpp pool has two or
 * more threads waits for all of them at every layer, so when the fleet's threads outnumber the
 * machine's cores a descheduled thread stalls the others (`--threads 2` with two threads per
 * worker on a 2-core machine made a fleet 3–15× slower, issue 16). Single-thread workers only take
 * turns, which costs little, since a drafter and its verifier mostly wait for each other.
 */
export interface CorePlanRequest {
  /** Total threads the fleet's workers may use (`--threads`); at least 1. */
  budget: number;
  verifiers: number;
  drafters: number;
  /** The machine's cores (os.availableParallelism()). */
  machineCores: number;
  /** The verifiers draft for themselves (fused execution): they get the whole budget. */
  fused?: boolean;
  /** An explicit thread count for every verifier, in place of the planned share. */
  verifierThreads?: number;
  /** An explicit thread count for every drafter, in place of one. */
  drafterThreads?: number;
}

export interface CorePlan {
  /** Threads of each verifier, in order. */
  verifiers: number[];
  /** Threads of each drafter, in order. */
  drafters: number[];
  /** Threads of all workers together. */
  total: number;
  budget: number;
  machineCores: number;
  /** One line saying what to do when the plan oversubscribes the machine; null when it does not. */
  warning: string | null;
}

export function planCores(request: CorePlanRequest): CorePlan {
  const { budget, verifiers, drafters, machineCores } = request;
  for (const [name, value] of Object.entries({ budget, machineCores }))
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number ≥ 1, got ${value}`);
  for (const [name, value] of Object.entries({ verifiers, drafters }))
    if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number ≥ 0, got ${value}`);
  const drafterThreads = Array.from({ length: drafters }, () => request.drafterThreads ?? 1);
  const drafterShare = request.fused === true ? 0 : drafterThreads.reduce((sum, n) => sum + n, 0);
  const verifierThreads =
    request.verifierThreads === undefined
      ? share(Math.max(budget - drafterShare, verifiers), verifiers)
      : Array.from({ length: verifiers }, () => request.verifierThreads!);
  const total = [...verifierThreads, ...drafterThreads].reduce((sum, n) => sum + n, 0);
  const plan = { verifiers: verifierThreads, drafters: drafterThreads, total, budget, machineCores, warning: null };
  return { ...plan, warning: oversubscription(plan) };
}

/** `total` split into `parts` whole shares as even as can be, the larger ones first. */
function share(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

/**
 * Oversubscription worth a warning: more threads than cores while some worker runs a pool of two
 * or more (those spin-wait on each other). Single-thread workers beyond the cores only take turns.
 */
function oversubscription(plan: Omit<CorePlan, "warning">): string | null {
  const widest = Math.max(0, ...plan.verifiers, ...plan.drafters);
  if (plan.total <= plan.machineCores || widest < 2) return null;
  return (
    `warning: the workers' ${plan.total} threads exceed this machine's ${plan.machineCores} cores and a worker ` +
    `runs ${widest}: llama.cpp's threads wait for each other, so expect a fleet several times slower; ` +
    `give --threads ${plan.machineCores} (a budget the launcher divides) without per-role thread counts, or start fewer workers`
  );
}

/** The plan as the launcher prints it: "threads: verifier-1 2, drafter-1 1 (3 of a budget of 2; 2 cores)". */
export function describeCorePlan(plan: CorePlan, verifierNames: string[], drafterNames: string[]): string {
  const each = [
    ...plan.verifiers.map((n, i) => `${verifierNames[i] ?? `verifier-${i + 1}`} ${n}`),
    ...plan.drafters.map((n, i) => `${drafterNames[i] ?? `drafter-${i + 1}`} ${n}`),
  ];
  const over = plan.total > plan.budget ? `; each worker needs one, so ${plan.total} in all` : "";
  return `threads: ${each.join(", ")} (a budget of ${plan.budget}${over}; ${plan.machineCores} cores here)`;
}
