import { context, diag, DiagLogLevel, propagation, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace-node";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import type { Logger } from "#logging";

export interface TracingOptions {
  /** The spans' `service.name`: the actor, unless OTEL_SERVICE_NAME says otherwise. */
  serviceName: string;
  /** An OTLP/HTTP collector's base URL (or its `/v1/traces` URL); undefined: tracing stays off. */
  endpoint: string | undefined;
  /** The fraction of new traces recorded; a trace begun elsewhere follows its sender's decision. */
  sampleRatio: number;
  /** This process among the actor's replicas (`service.instance.id`): a worker's id, or host and pid. */
  instance: string;
  /** Where the SDK's own warnings go (a collector that cannot be reached). */
  log?: Logger;
}

/** What every actor's configuration holds for tracing (libs/config `common`). */
export interface TracingConfig {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  OTEL_SERVICE_NAME?: string;
  TRACING_SAMPLE_RATIO: number;
}

let provider: NodeTracerProvider | null = null;

/** The options of `startTracing` for `actor` from its configuration. */
export function tracingOptionsOf(actor: string, config: TracingConfig, instance: string, log?: Logger): TracingOptions {
  return {
    serviceName: config.OTEL_SERVICE_NAME ?? actor,
    endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
    sampleRatio: config.TRACING_SAMPLE_RATIO,
    instance,
    log,
  };
}

/**
 * Starts OpenTelemetry's SDK for this process: spans are batched and sent to the collector over
 * OTLP/HTTP (JSON), new traces sampled at `sampleRatio`, contexts carried by W3C `traceparent`
 * headers (libs/transport puts them on NATS messages). Without an endpoint nothing is started:
 * the API stays a no-op, and nothing on a message or a round costs more than a check.
 * Returns whether tracing is on. Call it before the process connects or serves anything.
 */
export function startTracing(options: TracingOptions): boolean {
  if (provider || !options.endpoint) return provider !== null;
  if (options.log) diag.setLogger(diagLogger(options.log), DiagLogLevel.WARN);
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.serviceName,
      "service.instance.id": options.instance,
      "service.namespace": "specfleet",
    }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(options.endpoint) }))],
  });
  // The AsyncLocalStorage context manager (the default) carries a span across awaits.
  provider.register({ propagator: new W3CTraceContextPropagator() });
  return true;
}

/** Sends the spans not yet sent and stops the SDK (at shutdown); nothing when tracing is off. */
export async function stopTracing(): Promise<void> {
  const stopping = provider;
  provider = null;
  if (!stopping) return;
  await stopping.shutdown();
  // Back to the no-op API (a process, or a test, may start tracing again).
  trace.disable();
  propagation.disable();
  context.disable();
  diag.disable();
}

/** Whether this process records traces: everything tracing does checks this first (cost when off). */
export function tracingActive(): boolean {
  return provider !== null;
}

/**
 * The URL spans are POSTed to: the endpoint as OTEL_EXPORTER_OTLP_ENDPOINT means it (a base URL,
 * `/v1/traces` appended), or already the traces URL.
 */
export function tracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, "");
  return base.endsWith("/v1/traces") ? base : `${base}/v1/traces`;
}

function diagLogger(log: Logger) {
  const line =
    (level: "error" | "warn" | "info" | "debug") =>
    (message: string, ...args: unknown[]) =>
      log[level]({ component: "opentelemetry", detail: args.map(String).join(" ") || undefined }, message);
  return { error: line("error"), warn: line("warn"), info: line("info"), debug: line("debug"), verbose: line("debug") };
}
