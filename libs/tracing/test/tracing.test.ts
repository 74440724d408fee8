import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { context, trace } from "@opentelemetry/api";
import { headers as natsHeaders } from "nats";
import {
  extractTraceContext,
  inSpan,
  injectTraceContext,
  startTracing,
  stopTracing,
  TraceMemory,
  tracesUrl,
  tracingActive,
  TRACEPARENT_HEADER,
} from "#tracing";
import { OtlpReceiver } from "../../../test/support/otlp-receiver.js";

describe("tracesUrl", () => {
  const cases: [string, string][] = [
    ["http://collector:4318", "http://collector:4318/v1/traces"],
    ["http://collector:4318/", "http://collector:4318/v1/traces"],
    ["https://otel.example.com/otlp", "https://otel.example.com/otlp/v1/traces"],
    ["http://collector:4318/v1/traces", "http://collector:4318/v1/traces"],
  ];
  for (const [endpoint, url] of cases) it(`${endpoint} → ${url}`, () => assert.equal(tracesUrl(endpoint), url));
});

// Runs first: the SDK, once started, is the process's.
describe("tracing off (no endpoint)", () => {
  it("starts nothing, so spans, headers and memories are no-ops", async () => {
    assert.equal(startTracing({ serviceName: "t", endpoint: undefined, sampleRatio: 1, instance: "t" }), false);
    assert.equal(tracingActive(), false);
    let seen: unknown = "unset";
    await inSpan("work", {}, (span) => {
      seen = span;
      const headers = natsHeaders();
      injectTraceContext(headers);
      assert.equal(headers.has(TRACEPARENT_HEADER), false);
    });
    assert.equal(seen, null);
    const headers = natsHeaders();
    headers.set(TRACEPARENT_HEADER, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    assert.equal(extractTraceContext(headers), null, "a received context is ignored while tracing is off");
    const memory = new TraceMemory();
    memory.remember("s");
    assert.equal(memory.size, 0);
  });
});

describe("tracing on", () => {
  let receiver: OtlpReceiver;

  before(async () => {
    receiver = await OtlpReceiver.start();
    assert.equal(startTracing({ serviceName: "unit", endpoint: receiver.url, sampleRatio: 1, instance: "u-1" }), true);
  });

  after(async () => {
    await stopTracing();
    await receiver?.stop();
  });

  it("carries a span's context through NATS headers to a child span, exported over OTLP/HTTP JSON", async () => {
    const headers = natsHeaders();
    let parentId = "";
    await inSpan("sender", {}, (span) => {
      parentId = span!.spanContext().spanId;
      injectTraceContext(headers);
    });
    assert.match(headers.get(TRACEPARENT_HEADER), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const carried = extractTraceContext(headers);
    assert.ok(carried);
    await inSpan("receiver", { parent: carried }, () => undefined);
    // A message without a context is handled as it is: no context, so no span of its own.
    assert.equal(extractTraceContext(natsHeaders()), null);
    await stopTracing(); // flushes
    const sender = receiver.spans.find((s) => s.name === "sender");
    const child = receiver.spans.find((s) => s.name === "receiver");
    assert.ok(sender && child, `spans: ${receiver.spans.map((s) => s.name).join(", ")}`);
    assert.equal(sender.spanId, parentId);
    assert.equal(child.traceId, sender.traceId);
    assert.equal(child.parentSpanId, sender.spanId);
    assert.equal(sender.parentSpanId, "");
    assert.equal(child.service, "unit");
    assert.equal(child.instance, "u-1");
    assert.deepEqual(receiver.refused, []);
  });
});

describe("TraceMemory", () => {
  it("continues a remembered trace, never the caller's, and forgets the oldest past its limit", async () => {
    const receiver = await OtlpReceiver.start();
    startTracing({ serviceName: "unit", endpoint: receiver.url, sampleRatio: 1, instance: "u-2" });
    try {
      const memory = new TraceMemory(2);
      const ids: Record<string, string> = {};
      for (const key of ["a", "b", "c"])
        await inSpan(key, {}, (span) => {
          ids[key] = span!.spanContext().traceId;
          memory.remember(key);
        });
      assert.equal(memory.size, 2);
      assert.equal(trace.getSpanContext(memory.contextOf("a")), undefined, "the oldest was forgotten");
      await inSpan("unrelated", {}, () => {
        assert.ok(trace.getSpanContext(context.active()));
        assert.equal(trace.getSpanContext(memory.contextOf("a")), undefined, "not the caller's own trace");
        assert.equal(trace.getSpanContext(memory.contextOf("c"))?.traceId, ids.c);
      });
      assert.equal(memory.linksTo("b")[0]?.context.traceId, ids.b);
      memory.forget("b");
      assert.deepEqual(memory.linksTo("b"), []);
    } finally {
      await stopTracing();
      await receiver.stop();
    }
  });
});
