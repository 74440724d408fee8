/** Services print pino JSON lines and log `{"msg":"ready"}` once they serve. */
export function isReadyLine(line: string): boolean {
  return parseJsonLine(line)?.msg === "ready";
}

export function parseJsonLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const levelNames: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};
const omitted = new Set(["level", "time", "msg", "pid", "hostname", "name", "actor"]);

/** A pino line made readable for a console: `12:00:01 INFO ready port=8080`; other lines as they are. */
export function formatLogLine(line: string): string {
  const entry = parseJsonLine(line);
  if (entry === undefined || typeof entry.msg !== "string") return line;
  const time = typeof entry.time === "number" ? new Date(entry.time).toISOString().slice(11, 19) : "";
  const level = typeof entry.level === "number" ? (levelNames[entry.level] ?? String(entry.level)) : "";
  const fields = Object.entries(entry)
    .filter(([key]) => !omitted.has(key))
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
  return [time, level, entry.msg, ...fields].filter((part) => part !== "").join(" ");
}
