import type { MetricJson } from "#contracts";

/** Most bytes of metrics in one report message: well under NATS's default 1 MiB payload limit. */
export const MAX_REPORT_PART_BYTES = 256 * 1024;

/**
 * Cuts a registry's metrics into parts of at most about `maxBytes` of JSON each. A metric too big
 * for one part (a gauge per worker of a large fleet) is cut between its values; the gatherer's
 * aggregation puts the pieces of one name back together (their label sets differ).
 */
export function splitMetrics(metrics: MetricJson[], maxBytes = MAX_REPORT_PART_BYTES): MetricJson[][] {
  const parts: MetricJson[][] = [];
  let current: MetricJson[] = [];
  let size = 0;
  const push = (metric: MetricJson, bytes: number) => {
    if (size + bytes > maxBytes && current.length > 0) {
      parts.push(current);
      current = [];
      size = 0;
    }
    current.push(metric);
    size += bytes;
  };
  for (const metric of metrics) {
    const bytes = JSON.stringify(metric).length;
    if (bytes <= maxBytes) {
      push(metric, bytes);
      continue;
    }
    let values: MetricJson["values"] = [];
    let valuesBytes = 0;
    for (const value of metric.values) {
      const valueBytes = JSON.stringify(value).length + 1;
      if (valuesBytes + valueBytes > maxBytes / 2 && values.length > 0) {
        push({ ...metric, values }, valuesBytes);
        values = [];
        valuesBytes = 0;
      }
      values.push(value);
      valuesBytes += valueBytes;
    }
    if (values.length > 0) push({ ...metric, values }, valuesBytes);
  }
  if (current.length > 0 || parts.length === 0) parts.push(current);
  return parts;
}
