import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Msg, NatsConnection } from "nats";
import { z } from "zod";
import { eventContract, requestContract } from "#contracts";
import type { ServerHandle } from "#infra";
import { ContractBus, SpecFleetError } from "#transport";
import { annotateActiveSpan, inSpan, startTracing, stopTracing, TRACEPARENT_HEADER } from "#tracing";
import { OtlpReceiver } from "../../../test/support/otlp-receiver.js";
import { clientBus, natsPair, until } from "./support.js";

const SERVER_KIND = 2;
const CONSUMER_KIND = 5;
const ERROR_STATUS = 2;

/**
 * Traces cross the bus: a request or an event sent inside a span carries its context in NATS
 * headers and is handled in a child span named after its subject; a hot-path contract carries
 * none and gets no span; a message sent outside any span opens none on the other side.
 */
describe("ContractBus carries trace context in NATS headers", () => {
  const prefix = `test.tracing.${process.pid}`;
  const Ask = requestContract(`${prefix}.ask`, 1, z.object({ n: z.number() }), z.object({ n: z.number() }));
  const Round = requestContract(`${prefix}.round`, 1, z.object({ n: z.number() }), z.object({ n: z.number() }), {
    hotPath: true,
  });
  const Told = eventContract(`${prefix}.told`, 1, z.object({ n: z.number() }));
  let nats: ServerHandle;
  let serverNc: NatsConnection;
  let clientNc: NatsConnection;
  let server: ContractBus;
  let client: ContractBus;
  let receiver: OtlpReceiver;
  const headers = new Map<string, (string | null)[]>();
  const told: number[] = [];

  before(async () => {
    receiver = await OtlpReceiver.start();
    startTracing({ serviceName: "bus-test", endpoint: receiver.url, sampleRatio: 1, instance: "b-1" });
    ({ nats, server: serverNc, client: clientNc } = await natsPair());
    server = clientBus(serverNc);
    client = clientBus(clientNc);
    server.serve(Ask, "", (req) => {
      annotateActiveSpan({ "test.n": req.n });
      if (req.n < 0) throw new SpecFleetError("bad_request", "negative");
      return { n: req.n + 1 };
    });
    server.serve(Round, "", (req) => ({ n: req.n }));
    server.subscribe(Told, "", (event) => told.push(event.n));
    // What each subject's messages carried, as the wire shows it.
    const record = (_: unknown, msg: Msg) =>
      headers.set(msg.subject, [...(headers.get(msg.subject) ?? []), msg.headers?.get(TRACEPARENT_HEADER) || null]);
    serverNc.subscribe(`${prefix}.>`, { callback: record });
    await serverNc.flush();
  });

  after(async () => {
    await stopTracing();
    await clientNc?.close();
    await serverNc?.close();
    await nats?.stop();
    await receiver?.stop();
  });

  it("handles a request and an event sent inside a span in child spans; a hot-path round gets neither", async () => {
    let traceId = "";
    let parentId = "";
    await inSpan("caller", {}, async (span) => {
      traceId = span!.spanContext().traceId;
      parentId = span!.spanContext().spanId;
      assert.deepEqual(await client.request(Ask, "", { n: 1 }, 2000), { n: 2 });
      await assert.rejects(client.request(Ask, "", { n: -1 }, 2000), SpecFleetError);
      assert.deepEqual(await client.request(Round, "", { n: 7 }, 2000), { n: 7 });
      client.publish(Told, "", { n: 3 });
    });
    // Outside any span: nothing is carried, nothing is opened.
    await client.request(Ask, "", { n: 10 }, 2000);
    await until(() => told.length === 1 && (headers.get(`${prefix}.ask`)?.length ?? 0) === 3);
    await stopTracing(); // flushes what is left

    const carried = (subject: string) => headers.get(`${prefix}.${subject}`) ?? [];
    assert.equal(carried("ask").length, 3);
    assert.ok(carried("ask")[0]?.includes(traceId), "a request inside a span carries its trace");
    assert.equal(carried("ask")[2], null, "a request outside any span carries none");
    assert.deepEqual(carried("round"), [null], "a hot-path contract carries no context");
    assert.ok(carried("told")[0]?.includes(traceId));

    const served = receiver.spans.filter((s) => s.name === `${prefix}.ask process`);
    assert.equal(served.length, 2, "one span per request that carried a context");
    for (const span of served) {
      assert.equal(span.traceId, traceId);
      assert.equal(span.parentSpanId, parentId);
      assert.equal(span.kind, SERVER_KIND);
      assert.equal(span.attributes["messaging.destination.template"], `${prefix}.ask`);
    }
    const failed = served.find((s) => s.attributes["test.n"] === -1);
    assert.equal(failed?.status, ERROR_STATUS);
    assert.equal(failed?.attributes["error.type"], "bad_request");
    const event = receiver.spans.find((s) => s.name === `${prefix}.told process`);
    assert.equal(event?.kind, CONSUMER_KIND);
    assert.equal(event?.parentSpanId, parentId);
    assert.equal(receiver.spans.filter((s) => s.name.startsWith(`${prefix}.round`)).length, 0);
  });
});
