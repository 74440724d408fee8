import { HttpApiError } from "#http";
import type { Caller } from "./caller.js";

/** A request's `priority` outside its caller's range: a 400 naming the field and the range; null when inside. */
export function priorityProblem(caller: Caller, priority: number): HttpApiError | null {
  const { min, max } = caller.priorityRange;
  if (priority >= min && priority <= max) return null;
  const whose = caller.keyId === null ? "requests without an API key" : "this API key";
  return HttpApiError.invalid(
    `priority: ${priority} is outside the range allowed for ${whose}: ${min} to ${max} (lower is served first)`,
    "priority",
    "priority_not_allowed",
  );
}
