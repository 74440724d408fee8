import {
  context,
  propagation,
  ROOT_CONTEXT,
  trace,
  type Context,
  type TextMapGetter,
  type TextMapSetter,
} from "@opentelemetry/api";
import type { MsgHdrs } from "nats";
import { tracingActive } from "./provider.js";

/** W3C Trace Context's header: its presence says a message belongs to a trace. */
export const TRACEPARENT_HEADER = "traceparent";

const setter: TextMapSetter<MsgHdrs> = { set: (headers, key, value) => headers.set(key, value) };
const getter: TextMapGetter<MsgHdrs> = {
  get: (headers, key) => (headers.has(key) ? headers.get(key) : undefined),
  keys: (headers) => headers.keys(),
};

/**
 * Writes the active span's context into a message's NATS headers (`traceparent`, `tracestate`);
 * nothing when tracing is off or no span is active (a heartbeat, a timer's work).
 */
export function injectTraceContext(headers: MsgHdrs): void {
  if (!tracingActive()) return;
  const active = context.active();
  if (trace.getSpan(active) === undefined) return;
  propagation.inject(active, headers, setter);
}

/** The trace context a received message carries, or null: none, or tracing is off here. */
export function extractTraceContext(headers: MsgHdrs | undefined): Context | null {
  if (!tracingActive() || !headers?.has(TRACEPARENT_HEADER)) return null;
  const extracted = propagation.extract(ROOT_CONTEXT, headers, getter);
  return trace.getSpanContext(extracted) ? extracted : null;
}
