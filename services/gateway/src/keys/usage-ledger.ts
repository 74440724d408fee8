import type { Redis } from "ioredis";

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  requests: number;
}

export interface UsagePeriod extends Usage {
  /** `YYYY-MM-DD` (UTC) for a day. */
  date: string;
}

export interface KeyUsage {
  total: Usage;
  /** Newest first; days without usage are absent. */
  daily: UsagePeriod[];
}

/** Usage without a key (the open fleet) is kept under this name. */
export const ANONYMOUS = "anonymous";
const usageKey = (keyId: string | null) => `specfleet:usage:${keyId ?? ANONYMOUS}`;
const FIELDS = ["promptTokens", "completionTokens", "requests"] as const;

/**
 * Usage per key: totals and per UTC day, one Redis hash per key (`total:<field>` and
 * `<date>:<field>`), so that recording is a few HINCRBY and needs no read. Every completion
 * records at its end, interactive or from a job.
 */
export class UsageLedger {
  constructor(private readonly redis: Redis) {}

  async record(keyId: string | null, usage: Usage, at = Date.now()): Promise<void> {
    const day = utcDay(at);
    const key = usageKey(keyId);
    const multi = this.redis.multi();
    for (const field of FIELDS) {
      if (usage[field] === 0) continue;
      multi.hincrby(key, `total:${field}`, usage[field]).hincrby(key, `${day}:${field}`, usage[field]);
    }
    await multi.exec();
  }

  /** Totals, and the last `days` days (today included). */
  async usage(keyId: string | null, days = 31, now = Date.now()): Promise<KeyUsage> {
    const fields = await this.redis.hgetall(usageKey(keyId));
    const periods = new Map<string, Usage>();
    for (const [name, value] of Object.entries(fields)) {
      const [period, field] = name.split(":") as [string, (typeof FIELDS)[number]];
      if (!FIELDS.includes(field)) continue;
      const figures = periods.get(period) ?? { promptTokens: 0, completionTokens: 0, requests: 0 };
      figures[field] = Number(value);
      periods.set(period, figures);
    }
    const oldest = utcDay(now - (days - 1) * 86_400_000);
    const daily = [...periods]
      .filter(([period]) => period !== "total" && period >= oldest)
      .sort(([a], [b]) => (a < b ? 1 : -1))
      .map(([date, figures]) => ({ date, ...figures }));
    return { total: periods.get("total") ?? { promptTokens: 0, completionTokens: 0, requests: 0 }, daily };
  }
}

export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}
