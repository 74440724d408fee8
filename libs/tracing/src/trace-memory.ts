import { context, ROOT_CONTEXT, trace, type Context, type Link, type SpanContext } from "@opentelemetry/api";
import { tracingActive } from "./provider.js";

/**
 * Trace contexts remembered by key (a session's id) for work done later, outside the message
 * that began it: a queued request placed seconds later, a session resumed after a failover.
 * Bounded: past `limit` entries the oldest is forgotten (its later work starts a trace of its own).
 * Everything is a no-op while tracing is off.
 */
export class TraceMemory {
  private readonly contexts = new Map<string, SpanContext>();

  constructor(private readonly limit = 10_000) {}

  get size(): number {
    return this.contexts.size;
  }

  /** Remembers the active span's context under `key` (nothing when no span is active). */
  remember(key: string): void {
    if (!tracingActive()) return;
    const spanContext = trace.getSpanContext(context.active());
    if (!spanContext) return;
    this.contexts.delete(key);
    this.contexts.set(key, spanContext);
    if (this.contexts.size > this.limit) this.contexts.delete(this.contexts.keys().next().value!);
  }

  /**
   * The context `key`'s later work runs in: a child of what was remembered, or the root (a new
   * trace), never the caller's own: a queue pass started by one request places many others.
   */
  contextOf(key: string): Context {
    const remembered = this.contexts.get(key);
    return remembered ? trace.setSpanContext(ROOT_CONTEXT, remembered) : ROOT_CONTEXT;
  }

  /** Links to `key`'s trace, for work that begins a trace of its own (a failover, a move). */
  linksTo(key: string): Link[] {
    const remembered = this.contexts.get(key);
    return remembered ? [{ context: remembered }] : [];
  }

  forget(key: string): void {
    this.contexts.delete(key);
  }
}
