import { Counter, Histogram } from "prom-client";
import type { ActorRegistry } from "./actor-registry.js";
import { LATENCY_BUCKETS_S, TOKEN_COUNT_BUCKETS, TPOT_BUCKETS_S } from "./buckets.js";

/**
 * The gateway's metrics: what clients see. Names follow vLLM's (`vllm:` → `specfleet:`) where
 * vLLM has one; docs/metrics.md lists them all.
 */
export function gatewayMetrics({ registry }: ActorRegistry) {
  const registers = [registry];
  return {
    /** Every HTTP answer: `route` is the route's pattern (`/v1/jobs/:id`), never the raw path. */
    httpRequests: new Counter({
      name: "specfleet:http_requests_total",
      help: "HTTP requests answered by the gateway, by route pattern, method and status code.",
      labelNames: ["route", "method", "status"] as const,
      registers,
    }),
    requestSuccess: new Counter({
      name: "specfleet:request_success_total",
      help: "Completions finished, by model and finish reason (stop, length, cancelled, error).",
      labelNames: ["model", "finished_reason"] as const,
      registers,
    }),
    timeToFirstToken: new Histogram({
      name: "specfleet:time_to_first_token_seconds",
      help: "Time from the request's arrival at the gateway to its first generated token, seconds.",
      labelNames: ["model"] as const,
      buckets: LATENCY_BUCKETS_S,
      registers,
    }),
    timePerOutputToken: new Histogram({
      name: "specfleet:request_time_per_output_token_seconds",
      help: "Per request, the mean time between generated tokens after the first (TPOT), seconds.",
      labelNames: ["model"] as const,
      buckets: TPOT_BUCKETS_S,
      registers,
    }),
    e2eLatency: new Histogram({
      name: "specfleet:e2e_request_latency_seconds",
      help: "Time from the request's arrival to its last token, seconds.",
      labelNames: ["model"] as const,
      buckets: LATENCY_BUCKETS_S,
      registers,
    }),
    promptTokens: new Counter({
      name: "specfleet:prompt_tokens_total",
      help: "Prompt tokens of finished requests.",
      labelNames: ["model"] as const,
      registers,
    }),
    generationTokens: new Counter({
      name: "specfleet:generation_tokens_total",
      help: "Generated tokens sent to clients.",
      labelNames: ["model"] as const,
      registers,
    }),
    requestPromptTokens: new Histogram({
      name: "specfleet:request_prompt_tokens",
      help: "Prompt tokens per finished request.",
      labelNames: ["model"] as const,
      buckets: TOKEN_COUNT_BUCKETS,
      registers,
    }),
    requestGenerationTokens: new Histogram({
      name: "specfleet:request_generation_tokens",
      help: "Generated tokens per finished request.",
      labelNames: ["model"] as const,
      buckets: TOKEN_COUNT_BUCKETS,
      registers,
    }),
  };
}
export type GatewayMetrics = ReturnType<typeof gatewayMetrics>;
