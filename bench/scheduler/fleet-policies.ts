import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultModelPath, startLatencyProxy, startLocalFleet, startNats } from "#infra";
import { widenModel } from "#models";
import { complete } from "../../test/support/openai-client.js";
import { PROMPTS } from "../../test/support/fleet.js";
import { referenceCompletions } from "../../test/support/reference.js";

export interface FleetPolicyOptions {
  policies: string[];
  requests: number;
  concurrency: number;
  maxTokens: number;
  repeats: number;
}

/**
 * The policies on a real local fleet where pairing matters: verifier-1 holds the tiny model;
 * verifier-2 serves the same model name from a widened copy (same answers, several times the
 * cost per token: a slow, overloaded machine); drafter-1 is near; drafter-2 reaches NATS through
 * a proxy adding 30 ms each way (a slowed edge device). For each policy, the scheduler is
 * restarted with it and the same requests run; tokens/s over all of them. Returns table rows.
 */
export async function comparePoliciesOnFleet(
  options: FleetPolicyOptions,
  onProgress: (step: string) => void,
): Promise<string[][]> {
  const dir = await mkdtemp(join(tmpdir(), "specfleet-bench-policies-"));
  const source = defaultModelPath();
  const slowTarget = join(dir, "slow-target.gguf");
  await widenModel(source, slowTarget, { embd: 512, ff: 1408, layers: 8 });
  const reference = await referenceCompletions(source, PROMPTS, options.maxTokens);
  const nats = await startNats();
  const natsUrl = new URL(nats.url);
  const proxy = await startLatencyProxy(natsUrl.hostname, Number(natsUrl.port), { delayMs: 30 });
  const fleet = await startLocalFleet({
    modelPath: source,
    natsUrl: nats.url,
    verifiers: [{ id: "verifier-1" }, { id: "verifier-2", modelPath: slowTarget, modelName: "stories260K" }],
    drafters: [{ id: "drafter-1" }, { id: "drafter-2", env: { NATS_URL: proxy.url("nats") } }],
    maxSessions: 4,
    logLevel: "warn",
    logDir: ".cache/bench-logs/scheduler-policies",
    serviceEnv: { scheduler: { SCHEDULER_REBALANCE_MS: "0" } },
  });
  const rates = new Map<string, number[]>();
  let identical = true;
  const run = async (policy: string): Promise<number> => {
    let next = 0;
    let tokens = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        for (let n = next++; n < options.requests; n = next++) {
          const prompt = PROMPTS[n % PROMPTS.length]!;
          const result = await complete(fleet.gatewayUrl, {
            model: "stories260K",
            prompt,
            max_tokens: options.maxTokens,
          });
          if (result.status !== 200) throw new Error(`${policy}: ${JSON.stringify(result.body)}`);
          identical &&= JSON.stringify(result.tokenIds) === JSON.stringify(reference.get(prompt)!.tokens);
          tokens += result.tokenIds.length;
        }
      }),
    );
    return (1000 * tokens) / (performance.now() - started);
  };
  try {
    onProgress("warming up");
    await run("warm-up"); // the fleet's first requests are slower for every policy alike: not measured
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      const order = options.policies.map((_, i) => options.policies[(i + repeat) % options.policies.length]!);
      for (const policy of order) {
        onProgress(`repeat ${repeat + 1}: ${policy}`);
        await fleet.processes.get("scheduler")!.stop();
        await fleet.restart("scheduler", { PAIRING_POLICY: policy });
        await new Promise((resolve) => setTimeout(resolve, 1500)); // the fleet view, and the drafters' link stats
        rates.set(policy, [...(rates.get(policy) ?? []), await run(policy)]);
      }
    }
  } finally {
    await fleet.stop();
    await proxy.close();
    await nats.stop();
    await rm(dir, { recursive: true, force: true });
  }
  const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
  const baseline = mean(rates.get("load-aware") ?? rates.values().next().value ?? [1]);
  return options.policies.map((policy) => {
    const rate = mean(rates.get(policy)!);
    return [policy, rate.toFixed(1), `${(rate / baseline).toFixed(2)}×`, identical ? "yes" : "NO"];
  });
}
