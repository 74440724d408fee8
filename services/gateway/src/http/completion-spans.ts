import type { NextFunction, Request, RequestHandler, Response } from "express";
import { annotateActiveSpan, inSpan, markFailed, SpanKind, tracingActive } from "#tracing";

/** The routes whose requests begin a trace: a completion's life across the fleet. */
const TRACED_ROUTES: Record<string, string> = {
  "/v1/completions": "text_completion",
  "/v1/chat/completions": "chat",
};

/**
 * One server span per `POST /v1/completions` and `/v1/chat/completions` (libs/tracing): from the
 * request, its body read, to the last byte of its answer. Everything the request sends on the bus
 * (SchedulerSubmit, a cancel) runs inside it, so the scheduler's, verifier's and drafter's spans
 * join its trace. Other routes, and every route while tracing is off, pass straight through.
 */
export function completionSpans(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const operation = req.method === "POST" ? TRACED_ROUTES[req.path] : undefined;
    if (!tracingActive() || operation === undefined) return next();
    const body = (req.body ?? {}) as Record<string, unknown>;
    const attributes = {
      "http.request.method": req.method,
      "http.route": req.path,
      "gen_ai.operation.name": operation,
      ...(typeof body.model === "string" ? { "gen_ai.request.model": body.model.slice(0, 200) } : {}),
      ...(typeof body.max_tokens === "number" ? { "gen_ai.request.max_tokens": body.max_tokens } : {}),
      "specfleet.stream": body.stream === true,
    };
    void inSpan(`POST ${req.path}`, { kind: SpanKind.SERVER, attributes }, (span) => {
      const answered = new Promise<void>((resolve) => {
        const done = () => {
          span?.setAttribute("http.response.status_code", res.statusCode);
          if (res.statusCode >= 500) markFailed(span, `HTTP ${res.statusCode}`, String(res.statusCode));
          resolve();
        };
        res.once("finish", done);
        res.once("close", done);
      });
      next();
      return answered;
    });
  };
}

/** The tokens a completion used, on its request's span (OpenTelemetry's gen_ai usage attributes). */
export function traceCompletionUsage(usage: { promptTokens: number; completionTokens: number } | null): void {
  if (usage)
    annotateActiveSpan({
      "gen_ai.usage.input_tokens": usage.promptTokens,
      "gen_ai.usage.output_tokens": usage.completionTokens,
    });
}
