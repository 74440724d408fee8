import { startLocalFleet, type LocalFleet } from "#infra";
import type { NatsEndpoint } from "#transport";
import { complete } from "../../test/support/openai-client.js";
import { fleetTotals } from "../../test/support/telemetry.js";
import { cpuSeconds } from "../support/process-cpu.js";
import type { PathOptions, PathRun } from "../support/report.js";
import { FleetPhaseReader, perRound } from "./round-phases.js";

/**
 * How the fleet's transport is secured (docs/security.md): `open` (no credentials), `secured` (a
 * NATS credential and permissions per identity, a Redis user per role: the local fleet's default),
 * `tls` (secured, and NATS over TLS with the fleet's own CA).
 */
export type FleetSecurityMode = "open" | "secured" | "tls";
export const FLEET_SECURITY_MODES: readonly FleetSecurityMode[] = ["secured", "open", "tls"];

/**
 * How the drafter goes on while a round is verified: `sequential` waits for the reply before it
 * drafts the next window (the round itself, as the in-process loop runs it); `pipelined` drafts
 * the next window meanwhile, as if this one will be accepted whole (DRAFT_PIPELINE), sends it
 * once the reply says so, and drafts again when it was not; `sent-ahead` also sends that window
 * as soon as it is drafted, before the reply (DRAFT_SEND_AHEAD), so that the verifier verifies it
 * right after the round in flight when the guess holds (what `npm start` runs).
 */
export type DraftingMode = "sequential" | "pipelined" | "sent-ahead";
export const DRAFTING_MODES: readonly DraftingMode[] = ["sequential", "pipelined", "sent-ahead"];

/** Requests sent one at a time through the gateway; rounds counted by the verifier. */
export class FleetPath {
  private constructor(
    private readonly fleet: LocalFleet,
    private readonly options: PathOptions,
    private readonly phases: FleetPhaseReader,
  ) {}

  static async start(
    options: PathOptions,
    security: FleetSecurityMode = "secured",
    drafting: DraftingMode = "sequential",
  ): Promise<FleetPath> {
    const fleet = await startLocalFleet({
      modelPath: options.modelPath,
      verifiers: 1,
      drafters: 1,
      window: options.window,
      secure: security !== "open",
      tls: security === "tls",
      serviceEnv: {
        "draft-worker": {
          DRAFT_PIPELINE: String(drafting !== "sequential"),
          DRAFT_SEND_AHEAD: String(drafting === "sent-ahead"),
        },
      },
      logLevel: "warn",
      logDir: `.cache/bench-logs/round/${security}-${drafting}`,
    });
    return new FleetPath(fleet, options, await FleetPhaseReader.start(fleet));
  }

  async run(): Promise<PathRun> {
    const [before, phasesBefore] = await Promise.all([fleetTotals(this.fleet, "verifier"), this.phases.totals()]);
    const cpuBefore = this.cpu();
    const started = performance.now();
    const tokens = await this.warm();
    const elapsed = performance.now() - started;
    const cpuAfter = this.cpu();
    const [after, phasesAfter] = await Promise.all([fleetTotals(this.fleet, "verifier"), this.phases.totals()]);
    const rounds = after.rounds - before.rounds;
    const cpu = new Map(
      [...cpuAfter].map(([name, seconds]) => [name, ((seconds - (cpuBefore.get(name) ?? 0)) * 1000) / rounds]),
    );
    return { msPerRound: elapsed / rounds, tokens, phases: perRound(phasesBefore, phasesAfter, rounds), cpu };
  }

  /** CPU seconds each process of the fleet has used so far (all its threads), by its name in the fleet. */
  private cpu(): Map<string, number> {
    return new Map([...this.fleet.processes].map(([name, child]) => [name, cpuSeconds(child.pid)]));
  }

  /** The prompts' requests, one at a time, unmeasured: their tokens. */
  async warm(): Promise<number[]> {
    const tokens: number[] = [];
    for (const prompt of this.options.prompts) {
      const result = await complete(this.fleet.gatewayUrl, {
        model: modelName(this.options.modelPath),
        prompt,
        max_tokens: this.options.maxTokens,
      });
      if (result.status !== 200) throw new Error(`fleet request failed: ${JSON.stringify(result.body)}`);
      tokens.push(...result.tokenIds);
    }
    return tokens;
  }

  /** How a process of the benchmark's own reaches the fleet's NATS, as its admin. */
  natsEndpoint(): NatsEndpoint {
    return this.fleet.natsEndpoint("admin");
  }

  async stop(): Promise<void> {
    await this.phases.stop();
    await this.fleet.stop();
  }
}

function modelName(path: string): string {
  return path
    .split("/")
    .pop()!
    .replace(/\.gguf$/i, "");
}
