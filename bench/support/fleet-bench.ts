import { join } from "node:path";
import { startLocalFleet, startService, type LocalFleet, type ManagedProcess } from "#infra";
import type { NatsEndpoint } from "#transport";
import { complete } from "../../test/support/openai-client.js";

/**
 * End-to-end through the fleet: one verifier holding the target, and drafters started one at
 * a time against it (each its own process, over NATS). With no drafter live the scheduler runs
 * sessions target-only, which is the baseline, re-measured next to every drafter.
 */
export class FleetBench {
  private constructor(
    private readonly fleet: LocalFleet,
    private readonly modelName: string,
    private readonly logDir: string,
  ) {}

  static async start(targetPath: string, modelName: string, logDir: string): Promise<FleetBench> {
    const fleet = await startLocalFleet({
      modelPath: targetPath,
      verifiers: [{ id: "verifier-1", modelPath: targetPath, modelName }],
      drafters: 0,
      logLevel: "warn",
      logDir,
    });
    return new FleetBench(fleet, modelName, logDir);
  }

  /** How the bench reaches the fleet's NATS as the admin (a secured fleet needs its credential). */
  get natsEndpoint(): NatsEndpoint {
    return this.fleet.natsEndpoint();
  }

  get natsUrl(): string {
    return this.fleet.natsUrl;
  }

  /** Milliseconds per generated token over the prompts, requests one at a time. */
  async msPerToken(
    prompts: string[],
    maxTokens: number,
    sampling: Record<string, number> = {},
  ): Promise<{ msPerToken: number; tokens: number[][] }> {
    const tokens: number[][] = [];
    let generated = 0;
    const started = performance.now();
    for (const prompt of prompts) {
      const result = await complete(this.fleet.gatewayUrl, {
        model: this.modelName,
        prompt,
        max_tokens: maxTokens,
        ...sampling,
      });
      if (result.status !== 200) throw new Error(`fleet request failed: ${JSON.stringify(result.body)}`);
      tokens.push(result.tokenIds);
      generated += result.tokenIds.length;
    }
    return { msPerToken: (performance.now() - started) / generated, tokens };
  }

  /**
   * Starts a draft-worker on `modelPath` and waits until the gateway lists it. `env` may point
   * its NATS_URL elsewhere (a latency proxy) or set its window policy.
   */
  async addDrafter(
    id: string,
    modelPath: string,
    window: number,
    env: Record<string, string> = {},
  ): Promise<ManagedProcess> {
    // A secured fleet's registry issues the drafter its credential, as it would any device's.
    const secrets = this.fleet.secrets;
    await secrets?.issueWorkers(this.fleet.natsUrl, [{ name: id, role: "drafter" }]);
    const drafter = await startService("draft-worker", {
      name: id,
      env: {
        ...secrets?.serviceEnv(id, "draft-worker"),
        NATS_URL: this.fleet.natsUrl,
        WORKER_ID: id,
        MODEL_PATH: modelPath,
        WINDOW: String(window),
        LOG_LEVEL: "warn",
        THREADS: "1",
        ...env,
      },
      output: { logFile: join(this.logDir, `${id}.log`) },
    });
    await drafter.waitForReady(60_000);
    for (let i = 0; i < 100; i++) {
      const body = (await (await fetch(`${this.fleet.gatewayUrl}/readyz`)).json()) as {
        drafters: Array<{ id: string }>;
      };
      if (body.drafters.some((d) => d.id === id)) return drafter;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${id} never registered`);
  }

  /** Stops a drafter; it leaves the registry at once, so the next requests run target-only. */
  async removeDrafter(drafter: ManagedProcess): Promise<void> {
    await drafter.stop();
    for (let i = 0; i < 100; i++) {
      const body = (await (await fetch(`${this.fleet.gatewayUrl}/readyz`)).json()) as { drafters: unknown[] };
      if (body.drafters.length === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${drafter.name} did not leave`);
  }

  stop(): Promise<void> {
    return this.fleet.stop();
  }
}
