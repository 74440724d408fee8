import {
  context,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type Tracer,
} from "@opentelemetry/api";
import { tracingActive } from "./provider.js";

export { ROOT_CONTEXT, SpanKind, type Attributes, type Context, type Span } from "@opentelemetry/api";

/** SpecFleet's tracer (the API's no-op one while tracing is off). */
export function tracer(): Tracer {
  return trace.getTracer("specfleet");
}

/**
 * Runs `work` in a new span, child of `parent` (default: the active context), ended when `work`
 * settles; a thrown error marks it failed. When tracing is off `work` just runs.
 */
export async function inSpan<T>(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; parent?: Context; links?: Link[] },
  work: (span: Span | null) => Promise<T> | T,
): Promise<T> {
  if (!tracingActive()) return work(null);
  const parent = options.parent ?? context.active();
  const span = tracer().startSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes, links: options.links },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    markFailed(span, error instanceof Error ? error.message : String(error));
    throw error;
  } finally {
    span.end();
  }
}

/**
 * Starts a span that outlives the call, a child of the active context (a session's life, ended
 * by whoever ends the session); null when tracing is off.
 */
export function startSpan(name: string, attributes: Attributes, kind = SpanKind.INTERNAL): Span | null {
  if (!tracingActive()) return null;
  return tracer().startSpan(name, { kind, attributes }, context.active());
}

/** Marks a span failed with a reason (a handler's coded error, a 5xx). */
export function markFailed(span: Span | undefined | null, message: string, code?: string): void {
  if (!span) return;
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  if (code) span.setAttribute("error.type", code);
}

/** Marks the span of the work in progress failed (a handler's coded error), if there is one. */
export function failActiveSpan(message: string, code?: string): void {
  if (!tracingActive()) return;
  const span = trace.getActiveSpan();
  if (span?.isRecording()) markFailed(span, message, code);
}

/** Sets attributes on the span of the work in progress (the served message, the HTTP request), if any. */
export function annotateActiveSpan(attributes: Attributes): void {
  if (!tracingActive()) return;
  const span = trace.getActiveSpan();
  // A span already ended (its answer sent) takes nothing more.
  if (span?.isRecording()) span.setAttributes(attributes);
}
