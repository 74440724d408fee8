/** Latency buckets in seconds, from a loopback round (1 ms) to a long completion (80 s); vLLM's TTFT buckets cover the same range. */
export const LATENCY_BUCKETS_S = [
  0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2.5, 5, 10, 20, 40, 80,
];
/** Time per output token, seconds (vLLM's `time_per_output_token_seconds` buckets, with 1–5 ms added for tiny models). */
export const TPOT_BUCKETS_S = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80,
];
/** Fast steps on the hot path (a verify pass, a journal write, a decision), seconds. */
export const STEP_BUCKETS_S = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];
/** Token counts per request (vLLM's 1-2-5 series). */
export const TOKEN_COUNT_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000];
/** Rounds or tokens in one forward pass, and windows γ. */
export const SMALL_COUNT_BUCKETS = [0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 24, 32, 48, 64, 128, 256];
/** Achieved / predicted tokens per second: 1 is a perfect prediction. */
export const RATIO_BUCKETS = [0.25, 0.5, 0.67, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 2, 4];
