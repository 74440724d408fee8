import { HttpApiError } from "#http";
import type { JobEndpoint } from "../jobs/job-request.js";

/** A line of a batch's input file that runs: its number (from 1), its `custom_id` and request body. */
export interface BatchLine {
  line: number;
  customId: string;
  body: Record<string, unknown>;
}

/** A line that does not run, and why (reported in the batch's `errors` and its error file). */
export interface InvalidLine {
  line: number;
  customId: string | null;
  code: string;
  message: string;
  param: string | null;
}

export interface CheckedLines {
  valid: BatchLine[];
  invalid: InvalidLine[];
  /** The one model the batch runs: the model of its first line that is otherwise valid. */
  model: string | null;
}

/** Checks one request body as its endpoint would; throws the endpoint's `HttpApiError`. */
export type RequestCheck = (endpoint: JobEndpoint, body: Record<string, unknown>) => void;

const MAX_CUSTOM_ID = 512;

/**
 * Reads a batch's JSONL input, line by line: each non-blank line must be
 * `{"custom_id", "method": "POST", "url": <the batch's endpoint>, "body": {...}}` with a unique
 * `custom_id` and a body its endpoint accepts, and every line must ask for the same model (a
 * SpecFleet batch is one job, and a job runs one model). A bad line is reported with its number
 * and does not stop the others. Blank lines are skipped (they still count in the numbering).
 */
export function checkBatchLines(text: string, endpoint: JobEndpoint, check: RequestCheck): CheckedLines {
  const candidates: Array<BatchLine & { model: string }> = [];
  const invalid: InvalidLine[] = [];
  const seen = new Set<string>();
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  for (const [at, raw] of lines.entries()) {
    if (raw.trim() === "") continue;
    const outcome = checkLine(at + 1, raw, endpoint, check, seen);
    if ("code" in outcome) invalid.push(outcome);
    else candidates.push(outcome);
  }
  const model = candidates[0]?.model ?? null;
  const valid: BatchLine[] = [];
  for (const { model: asked, ...line } of candidates) {
    if (asked === model) valid.push(line);
    else
      invalid.push({
        line: line.line,
        customId: line.customId,
        code: "mismatched_model",
        message: `a SpecFleet batch runs one model ('${model}', from line ${candidates[0]!.line}); this line asks for '${asked}' (make one batch per model)`,
        param: "body.model",
      });
  }
  invalid.sort((a, b) => a.line - b.line);
  return { valid, invalid, model };
}

function checkLine(
  line: number,
  raw: string,
  endpoint: JobEndpoint,
  check: RequestCheck,
  seen: Set<string>,
): (BatchLine & { model: string }) | InvalidLine {
  const bad = (code: string, message: string, param: string | null, customId: string | null = null): InvalidLine => ({
    line,
    customId,
    code,
    message,
    param,
  });
  let item: unknown;
  try {
    item = JSON.parse(raw);
  } catch (err) {
    return bad("invalid_json", `the line is not valid JSON (${(err as Error).message})`, null);
  }
  if (!isObject(item))
    return bad("invalid_request", 'a line must be a JSON object {"custom_id", "method", "url", "body"}', null);
  const customId = item["custom_id"];
  if (typeof customId !== "string" || customId.length === 0 || customId.length > MAX_CUSTOM_ID)
    return bad("missing_custom_id", `\`custom_id\` must be a string of 1 to ${MAX_CUSTOM_ID} characters`, "custom_id");
  if (seen.has(customId))
    return bad("duplicate_custom_id", `\`custom_id\` '${customId}' is used by an earlier line`, "custom_id", customId);
  seen.add(customId);
  if (item["method"] !== "POST") return bad("invalid_method", "`method` must be 'POST'", "method", customId);
  if (item["url"] !== endpoint)
    return bad(
      "mismatched_endpoint",
      `\`url\` must be the batch's endpoint '${endpoint}' (got ${JSON.stringify(item["url"] ?? null)})`,
      "url",
      customId,
    );
  const body = item["body"];
  if (!isObject(body)) return bad("invalid_request", "`body` must be the request as a JSON object", "body", customId);
  const model = body["model"];
  if (typeof model !== "string" || model.length === 0)
    return bad("missing_model", "`body.model` is required (see GET /v1/models)", "body.model", customId);
  try {
    check(endpoint, body);
  } catch (err) {
    if (!(err instanceof HttpApiError)) throw err;
    const param = err.param ? `body.${err.param}` : "body";
    return bad(err.code ?? "invalid_request", err.message, param, customId);
  }
  return { line, customId, body, model };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
