import assert from "node:assert/strict";
import { ANY_ID, SessionStream, type SessionEvent } from "#contracts";
import type { LocalFleet } from "#infra";
import { complete } from "./openai-client.js";
import { MODEL, MODEL_PATH } from "./fleet.js";
import { startProxiedFleet, type ProxiedFleet } from "./proxied-fleet.js";
import { referenceCompletions, type ReferenceCompletions } from "./reference.js";

export const LONG = 300;
export const ADMISSION_PROMPTS = ["Once upon a time", "The little dog", "One day, a big bird", "Tom had a red ball."];

/**
 * A fleet with room for one session at a time (its workers reach NATS through a proxy adding
 * 10 ms each way, so a long request holds the pair for a second or two) and a queue of two, for
 * the admission tests: the ids of sessions as they open, and the target alone's answers.
 */
export class AdmissionFleet {
  readonly opened: string[] = [];

  private constructor(
    readonly harness: ProxiedFleet,
    private readonly reference: ReferenceCompletions,
  ) {}

  get fleet(): LocalFleet {
    return this.harness.fleet;
  }

  static async start(name: string): Promise<AdmissionFleet> {
    const reference = await referenceCompletions(MODEL_PATH, ADMISSION_PROMPTS, LONG);
    const harness = await startProxiedFleet(name, {
      verifiers: ["verifier-1"],
      drafters: ["drafter-1"],
      maxSessions: 1,
      serviceEnv: {
        scheduler: { SCHEDULER_QUEUE_LIMIT: "2", SCHEDULER_RETRY_AFTER_S: "3" },
        // Callers without a key may not jump the queue by default; these tests are the operator's.
        gateway: { GATEWAY_ANON_PRIORITY_MIN: "-1000" },
      },
    });
    const admission = new AdmissionFleet(harness, reference);
    harness.bus.subscribe(SessionStream, ANY_ID, (event: SessionEvent) => {
      if (event.kind === "opened") admission.opened.push(event.sessionId);
    });
    await harness.bus.nc.flush();
    return admission;
  }

  request(prompt: string, extra: Record<string, unknown> = {}): ReturnType<typeof complete> {
    return complete(this.fleet.gatewayUrl, { model: MODEL, prompt, max_tokens: LONG, ...extra });
  }

  /** The answer is 200 and token-identical to the target decoding alone. */
  async assertReference(result: Awaited<ReturnType<typeof complete>>, prompt: string): Promise<void> {
    assert.equal(result.status, 200, JSON.stringify(result.body));
    assert.deepEqual(result.tokenIds, (await this.reference.for(prompt, result.tokenIds)).tokens);
  }

  stop(): Promise<void> {
    return this.harness.stop();
  }
}

export const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
