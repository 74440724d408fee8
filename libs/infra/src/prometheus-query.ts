/** One series of an instant query's answer. */
export interface PromSample {
  metric: Record<string, string>;
  /** The sample's value as a number (`NaN`, `+Inf` included: Prometheus sends them as strings). */
  value: number;
}

/** Prometheus refused a query (bad PromQL, unknown function) or could not be asked. */
export class PromQueryError extends Error {
  constructor(
    readonly expr: string,
    reason: string,
  ) {
    super(`PromQL ${JSON.stringify(expr)}: ${reason}`);
    this.name = "PromQueryError";
  }
}

interface QueryAnswer {
  status: "success" | "error";
  error?: string;
  data?: { resultType: string; result: unknown };
}

/**
 * An instant query through Prometheus' HTTP API (`GET /api/v1/query`), at `time` (Unix seconds)
 * or now. A vector answer gives one sample per series, a scalar one sample with no labels.
 */
export async function queryPrometheus(prometheusUrl: string, expr: string, time?: number): Promise<PromSample[]> {
  const params = new URLSearchParams({ query: expr });
  if (time !== undefined) params.set("time", String(time));
  let answer: QueryAnswer;
  try {
    const response = await fetch(`${prometheusUrl}/api/v1/query?${params}`, { signal: AbortSignal.timeout(10_000) });
    answer = (await response.json()) as QueryAnswer;
  } catch (error) {
    throw new PromQueryError(expr, (error as Error).message);
  }
  if (answer.status !== "success" || answer.data === undefined)
    throw new PromQueryError(expr, answer.error ?? "no data in the answer");
  const { resultType, result } = answer.data;
  if (resultType === "scalar") return [{ metric: {}, value: sampleValue((result as [number, string])[1]) }];
  if (resultType !== "vector") throw new PromQueryError(expr, `a ${resultType} answer, not an instant vector`);
  return (result as Array<{ metric: Record<string, string>; value: [number, string] }>).map((series) => ({
    metric: series.metric,
    value: sampleValue(series.value[1]),
  }));
}

/** Prometheus writes infinities as `+Inf` / `-Inf`, which `Number()` does not read. */
function sampleValue(text: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  return Number(text);
}
