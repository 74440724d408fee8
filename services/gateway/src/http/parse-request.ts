import type { z } from "zod";
import { HttpApiError } from "#http";

/**
 * `value` checked by `schema`, or the 400 a client can act on: `param` names the field at fault
 * (for an unknown field, the field itself), the message says what is wrong with it.
 */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw invalidRequestOf(result.error.issues[0]!);
}

/** The 400 for a zod issue (the first of a failed parse). */
export function invalidRequestOf(issue: z.core.$ZodIssue): HttpApiError {
  const unknownKeys = issue.code === "unrecognized_keys";
  const path = unknownKeys ? [...issue.path, issue.keys[0]!] : issue.path;
  const param = path.map(String).join(".") || null;
  const message = unknownKeys ? `unknown field(s): ${issue.keys.join(", ")}` : issue.message;
  return HttpApiError.invalid(param ? `${param}: ${message}` : message, param);
}

/** OpenAI's list object for a page of `data` (cursor paging by `after` = `last_id`). */
export function listPage<T extends { id: string }>(data: T[], hasMore: boolean) {
  return {
    object: "list" as const,
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: hasMore,
  };
}
