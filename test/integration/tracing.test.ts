import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Msg, NatsConnection } from "nats";
import type { LocalFleet } from "#infra";
import { TRACEPARENT_HEADER } from "#tracing";
import { connectToFleet } from "../support/fleet-nats.js";
import { complete } from "../support/openai-client.js";
import { MODEL, PROMPTS, startTestFleet } from "../support/fleet.js";
import { OtlpReceiver, type ReceivedSpan } from "../support/otlp-receiver.js";

const VERIFIER = "verifier-1";
const DRAFTER = "drafter-1";
const MAX_TOKENS = 24;

/** Every NATS message of the fleet, with the trace context it carried (null: none). */
async function watchMessages(
  fleet: LocalFleet,
): Promise<{ nc: NatsConnection; seen: { subject: string; trace: string | null }[] }> {
  const nc = await connectToFleet(fleet);
  const seen: { subject: string; trace: string | null }[] = [];
  nc.subscribe("specfleet.>", {
    callback: (_: unknown, msg: Msg) =>
      seen.push({ subject: msg.subject, trace: msg.headers?.get(TRACEPARENT_HEADER) || null }),
  });
  await nc.flush();
  return { nc, seen };
}

/** A fleet whose scheduler pairs every request with the drafter, γ = 4 in every round. */
function startFleet(name: string, env: Record<string, string>): Promise<LocalFleet> {
  return startTestFleet(name, {
    verifiers: [{ id: VERIFIER }],
    drafters: [{ id: DRAFTER }],
    maxSessions: 2,
    window: 4,
    env,
    serviceEnv: { scheduler: { PAIRING_POLICY: "least-loaded" }, "draft-worker": { WINDOW_POLICY: "fixed" } },
  });
}

/**
 * OpenTelemetry traces across the actors, exported over OTLP/HTTP to a real receiver: one request
 * is one connected trace (gateway, scheduler, verifier, drafter; one root, every other span's
 * parent in it), the verifier's session span sums its rounds up, and no round gets a span or a
 * context. With OTEL_EXPORTER_OTLP_ENDPOINT unset, no exporter runs and no message carries a context.
 */
describe("tracing on: one request, one connected trace", () => {
  let receiver: OtlpReceiver;
  let fleet: LocalFleet;
  let observer: Awaited<ReturnType<typeof watchMessages>>;

  before(async () => {
    receiver = await OtlpReceiver.start();
    fleet = await startFleet("tracing-on", { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    observer = await watchMessages(fleet);
  });

  after(async () => {
    await observer?.nc.close();
    await fleet?.stop();
    await receiver?.stop();
  });

  it("links the gateway's, scheduler's, verifier's and drafter's spans in one trace", async () => {
    const result = await complete(fleet.gatewayUrl, { model: MODEL, prompt: PROMPTS[0], max_tokens: MAX_TOKENS });
    assert.equal(result.status, 200, JSON.stringify(result.body));
    const root = await receiver.waitFor("gateway span", () =>
      receiver.spans.find((s) => s.service === "gateway" && s.name === "POST /v1/completions"),
    );
    const inTrace = () => receiver.spans.filter((s) => s.traceId === root.traceId);
    await receiver.waitFor("the verifier's session span and the drafter's open span", () =>
      inTrace().some((s) => s.name === "verifier session") && inTrace().some((s) => s.service === "draft-worker")
        ? true
        : undefined,
    );
    // Stopping the fleet flushes every process's last spans.
    await observer.nc.flush();
    await fleet.stop();
    const spans = inTrace();
    const names = spans.map((s) => `${s.service}: ${s.name}`).sort();

    for (const service of ["gateway", "scheduler", "verify-worker", "draft-worker"])
      assert.ok(
        spans.some((s) => s.service === service),
        `a span from ${service}: ${names.join(", ")}`,
      );
    const ids = new Set(spans.map((s) => s.spanId));
    const roots = spans.filter((s) => !ids.has(s.parentSpanId));
    assert.deepEqual(
      roots.map((s) => s.spanId),
      [root.spanId],
      `one root, the gateway's request; every other span's parent in the trace: ${names.join(", ")}`,
    );
    assert.equal(root.parentSpanId, "");
    assert.equal(root.attributes["gen_ai.request.model"], MODEL);
    assert.equal(root.attributes["http.response.status_code"], 200);
    assert.equal(root.attributes["gen_ai.usage.output_tokens"], result.usage?.completion_tokens);

    const named = (service: string, name: string): ReceivedSpan => {
      const span = spans.find((s) => s.service === service && s.name === name);
      assert.ok(span, `${service}: ${name} among ${names.join(", ")}`);
      return span;
    };
    const submit = named("scheduler", "specfleet.scheduler.submit process");
    assert.equal(submit.parentSpanId, root.spanId);
    assert.equal(submit.attributes["specfleet.admission"], "place");
    assert.equal(submit.attributes["specfleet.verifier.id"], VERIFIER);
    assert.equal(submit.attributes["specfleet.drafter.id"], DRAFTER);
    const opening = named("scheduler", "scheduler open session");
    const verifierOpen = named("verify-worker", "specfleet.verifier.{id}.open process");
    assert.equal(verifierOpen.parentSpanId, opening.spanId);
    assert.equal(named("draft-worker", "specfleet.drafter.{id}.open process").parentSpanId, opening.spanId);

    const session = named("verify-worker", "verifier session");
    assert.equal(session.parentSpanId, verifierOpen.spanId);
    const rounds = Number(session.attributes["specfleet.rounds"]);
    const drafted = Number(session.attributes["specfleet.drafted_tokens"]);
    const accepted = Number(session.attributes["specfleet.accepted_tokens"]);
    assert.ok(rounds > 0 && drafted > 0, JSON.stringify(session.attributes));
    assert.ok(accepted <= drafted);
    assert.equal(session.attributes["specfleet.generated_tokens"], result.usage?.completion_tokens);
    assert.equal(session.attributes["specfleet.end_reason"], result.finishReason);

    // The hot path: no span per round, and no round carries a context.
    assert.equal(receiver.spans.filter((s) => s.name.includes(".verify")).length, 0);
    const verifies = observer.seen.filter((m) => m.subject === `specfleet.verifier.${VERIFIER}.verify.${DRAFTER}`);
    assert.ok(verifies.length >= rounds, `${verifies.length} verify messages seen`);
    assert.ok(verifies.every((m) => m.trace === null));
    const submits = observer.seen.filter((m) => m.subject === "specfleet.scheduler.submit");
    assert.equal(submits.length, 1);
    assert.ok(submits[0]!.trace?.includes(root.traceId));
    assert.deepEqual(receiver.refused, []);
  });
});

describe("tracing off: OTEL_EXPORTER_OTLP_ENDPOINT unset", () => {
  let receiver: OtlpReceiver;
  let fleet: LocalFleet;
  let observer: Awaited<ReturnType<typeof watchMessages>>;

  before(async () => {
    receiver = await OtlpReceiver.start();
    // The SDK's own variable points at the receiver: were an exporter started anyway, it would send here.
    fleet = await startFleet("tracing-off", { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces` });
    observer = await watchMessages(fleet);
  });

  after(async () => {
    await observer?.nc.close();
    await fleet?.stop();
    await receiver?.stop();
  });

  it("starts no exporter and puts no context on any message", async () => {
    const result = await complete(fleet.gatewayUrl, { model: MODEL, prompt: PROMPTS[1], max_tokens: MAX_TOKENS });
    assert.equal(result.status, 200, JSON.stringify(result.body));
    await observer.nc.flush();
    // A stopping actor flushes its exporter, had it one.
    await fleet.stop();
    assert.equal(receiver.posts, 0);
    assert.ok(observer.seen.some((m) => m.subject === "specfleet.scheduler.submit"));
    assert.deepEqual(
      observer.seen.filter((m) => m.trace !== null).map((m) => m.subject),
      [],
    );
  });
});
