/** The shapes the admin API answers with (see services/gateway/src/keys/key-schemas.ts). */
export interface KeyView {
  id: string;
  name: string;
  display: string;
  created_at: number;
  revoked_at: number | null;
  limits: { requests_per_minute?: number; tokens_per_minute?: number; concurrent_requests?: number };
  job_priority: number;
  priority_range: { min: number; max: number };
}

export interface UsageFigures {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface KeyUsageView {
  key_id: string;
  total: UsageFigures;
  daily: Array<UsageFigures & { date: string }>;
}

/** Rows as a left-aligned table, columns two spaces apart. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

const when = (seconds: number) => new Date(seconds * 1000).toISOString().replace("T", " ").slice(0, 16);
const limit = (value: number | undefined) => (value === undefined ? "-" : String(value));

export function keysTable(keys: KeyView[]): string {
  if (keys.length === 0) return "no API keys: /v1 is open (create one with `specfleet keys create <name>`)\n";
  return table(
    ["ID", "NAME", "KEY", "CREATED (UTC)", "STATUS", "RPM", "TPM", "CONCURRENT", "JOB PRIORITY", "PRIORITY"],
    keys.map((k) => [
      k.id,
      k.name,
      k.display,
      when(k.created_at),
      k.revoked_at === null ? "active" : `revoked ${when(k.revoked_at)}`,
      limit(k.limits.requests_per_minute),
      limit(k.limits.tokens_per_minute),
      limit(k.limits.concurrent_requests),
      String(k.job_priority),
      `${k.priority_range.min}..${k.priority_range.max}`,
    ]),
  );
}

export function keyDetails(key: KeyView): string {
  return [
    `id             ${key.id}`,
    `name           ${key.name}`,
    `key            ${key.display}`,
    `created        ${when(key.created_at)} UTC`,
    `status         ${key.revoked_at === null ? "active" : `revoked ${when(key.revoked_at)} UTC`}`,
    `requests/min   ${limit(key.limits.requests_per_minute)}`,
    `tokens/min     ${limit(key.limits.tokens_per_minute)}`,
    `concurrent     ${limit(key.limits.concurrent_requests)}`,
    `job priority   ${key.job_priority} (added to its jobs' priority; lower is served first)`,
    `priority range ${key.priority_range.min}..${key.priority_range.max} (its requests' \`priority\`)`,
    "",
  ].join("\n");
}

export function usageTable(usage: KeyUsageView): string {
  const row = (label: string, u: UsageFigures) => [
    label,
    String(u.requests),
    String(u.prompt_tokens),
    String(u.completion_tokens),
    String(u.total_tokens),
  ];
  return table(
    ["DAY (UTC)", "REQUESTS", "PROMPT TOKENS", "COMPLETION TOKENS", "TOTAL TOKENS"],
    [...usage.daily.map((d) => row(d.date, d)), row("total", usage.total)],
  );
}
