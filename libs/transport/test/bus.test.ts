import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { headers as natsHeaders, type NatsConnection } from "nats";
import { errorCodeSchema } from "#contracts";
import type { ServerHandle } from "#infra";
import {
  ContractBus,
  ERROR_CODE_HEADER,
  ERROR_HEADER,
  NoResponderError,
  PayloadTooLargeError,
  PeerError,
  RequestTimeoutError,
  SpecFleetError,
  WIRE_HEADER,
} from "#transport";
import { capturedLogger, clientBus, natsPair, testContracts, until, WARN, type LogLine } from "./support.js";

const encode = (text: string) => new TextEncoder().encode(text);

/** The code a request fails with (its SpecFleetError), or "none". */
async function failure(promise: Promise<unknown>): Promise<SpecFleetError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SpecFleetError, `a SpecFleetError, got ${String(error)}`);
    return error;
  }
  assert.fail("the request succeeded");
}

describe("ContractBus against a real nats-server", () => {
  let nats: ServerHandle;
  let serverNc: NatsConnection;
  let clientNc: NatsConnection;
  let server: ContractBus;
  let client: ContractBus;
  let lines: LogLine[];

  before(async () => {
    ({ nats, server: serverNc, client: clientNc } = await natsPair());
    const captured = capturedLogger();
    lines = captured.lines;
    server = new ContractBus(serverNc, captured.log);
    client = clientBus(clientNc);
  });

  after(async () => {
    await serverNc?.close();
    await clientNc?.close();
    await nats?.stop();
  });

  it("answers a request with its handler's reply", async () => {
    const { Echo } = testContracts();
    server.serve(Echo, "", ({ text, times }) => ({ text: text.repeat(times) }));
    await server.flush();
    assert.deepEqual(await client.request(Echo, "", { text: "ab", times: 3 }, 2000), { text: "ababab" });
  });

  it("refuses a request written against another contract version, naming both versions", async () => {
    const { Echo, EchoV2 } = testContracts();
    let called = false;
    server.serve(Echo, "", ({ text }) => ((called = true), { text }));
    await server.flush();
    const error = await failure(client.request(EchoV2, "", { text: "x", times: 1 }, 2000));
    assert.ok(error instanceof PeerError);
    assert.equal(error.code, "bad_request");
    assert.match(error.message, /contract version mismatch: the sender speaks v2, this actor v1/);
    assert.equal(called, false);
    const logged = lines.find((l) => l.subject === Echo.subject && l.msg === "rejected malformed request");
    assert.equal(logged?.level, WARN);
    assert.match(logged?.reason ?? "", /contract version mismatch/);
  });

  it("drops an event written against another contract version, with a warning naming it", async () => {
    const { Noticed, NoticedV2 } = testContracts();
    const heard: string[] = [];
    server.subscribe(Noticed, "", ({ text }) => heard.push(text));
    await server.flush();
    client.publish(NoticedV2, "", { text: "from the future" });
    client.publish(Noticed, "", { text: "from now" });
    await client.flush();
    await until(() => heard.length === 1);
    assert.deepEqual(heard, ["from now"]);
    const logged = lines.find((l) => l.subject === Noticed.subject && l.msg === "rejected malformed event");
    assert.equal(logged?.level, WARN);
    assert.match(logged?.reason ?? "", /the sender speaks v2, this actor v1/);
  });

  it("refuses a peer speaking another wire format", async () => {
    const { Echo } = testContracts();
    server.serve(Echo, "", ({ text }) => ({ text }));
    await server.flush();
    const h = natsHeaders();
    h.set(WIRE_HEADER, "2");
    const reply = await clientNc.request(Echo.subject, encode('{"text":"x","times":1}'), { timeout: 2000, headers: h });
    assert.equal(reply.headers?.get(ERROR_CODE_HEADER), "bad_request");
    assert.match(reply.headers?.get(ERROR_HEADER) ?? "", /wire format mismatch: the sender speaks v2, this actor v1/);
  });

  const garbage: Array<{ name: string; payload: string; reason: RegExp }> = [
    { name: "bytes that are not JSON", payload: "\u0000not json{", reason: /not valid JSON/ },
    { name: "an empty message", payload: "", reason: /not valid JSON/ },
    { name: "JSON of the wrong shape", payload: '{"text":5,"times":-1}', reason: /text/ },
    { name: "a JSON array", payload: "[1,2]", reason: /object/ },
  ];
  for (const c of garbage) {
    it(`answers ${c.name} on a served subject with bad_request and a logged reason, and keeps serving`, async () => {
      const { Echo } = testContracts();
      server.serve(Echo, "", ({ text }) => ({ text }));
      await server.flush();
      const reply = await clientNc.request(Echo.subject, encode(c.payload), { timeout: 2000 });
      assert.equal(reply.headers?.get(ERROR_CODE_HEADER), "bad_request");
      assert.match(reply.headers?.get(ERROR_HEADER) ?? "", /^malformed /);
      assert.match(reply.headers?.get(ERROR_HEADER) ?? "", c.reason);
      const logged = lines.findLast((l) => l.subject === Echo.subject);
      assert.equal(logged?.msg, "rejected malformed request");
      assert.equal(logged?.level, WARN);
      assert.match(logged?.reason ?? "", c.reason);
      assert.deepEqual(await client.request(Echo, "", { text: "still here", times: 1 }, 2000), { text: "still here" });
    });
  }

  for (const code of errorCodeSchema.options) {
    it(`carries the error code '${code}' from a handler to the requester`, async () => {
      const { Echo } = testContracts();
      server.serve(Echo, "", () => {
        throw new SpecFleetError(code, `it failed with ${code}`);
      });
      await server.flush();
      const error = await failure(client.request(Echo, "", { text: "x", times: 1 }, 2000));
      assert.ok(error instanceof PeerError);
      assert.equal(error.code, code);
      assert.equal(error.message, `it failed with ${code}`);
      assert.equal(error.subject, Echo.subject);
    });
  }

  it("answers an unexpected exception as internal, logged as an error", async () => {
    const { Echo } = testContracts();
    server.serve(Echo, "", async () => {
      await Promise.resolve();
      throw new TypeError("cannot read properties of undefined");
    });
    await server.flush();
    const error = await failure(client.request(Echo, "", { text: "x", times: 1 }, 2000));
    assert.equal(error.code, "internal");
    assert.match(error.message, /cannot read properties/);
    const logged = lines.findLast((l) => l.subject === Echo.subject);
    assert.equal(logged?.msg, "request handler failed");
    assert.equal(logged?.level, 50);
  });

  it("fails at once with NoResponderError when nobody serves the subject", async () => {
    const { Echo } = testContracts();
    const started = Date.now();
    const error = await failure(client.request(Echo, "", { text: "x", times: 1 }, 60_000));
    assert.ok(error instanceof NoResponderError);
    assert.equal(error.subject, Echo.subject);
    assert.ok(Date.now() - started < 30_000, "not after the timeout (60 s)");
  });

  it("fails with RequestTimeoutError when the handler does not answer in time", async () => {
    const { Echo } = testContracts();
    server.serve(Echo, "", () => new Promise<never>(() => undefined));
    await server.flush();
    const started = Date.now();
    const error = await failure(client.request(Echo, "", { text: "x", times: 1 }, 200));
    assert.ok(error instanceof RequestTimeoutError);
    assert.equal(error.code, "internal");
    assert.ok(Date.now() - started >= 190);
  });

  it("rejects a reply that breaks the contract as internal", async () => {
    const { Echo } = testContracts();
    const sub = serverNc.subscribe(Echo.subject, { callback: (_, msg) => msg.respond(encode('{"txet":1}')) });
    await serverNc.flush();
    const error = await failure(client.request(Echo, "", { text: "x", times: 1 }, 2000));
    assert.equal(error.code, "internal");
    assert.match(error.message, /malformed reply/);
    sub.unsubscribe();
  });

  it("reads an error reply from a peer older than wire v1 (a message, no code) as bad_request", async () => {
    const { Echo } = testContracts();
    const sub = serverNc.subscribe(Echo.subject, {
      callback: (_, msg) => {
        const h = natsHeaders();
        h.set(ERROR_HEADER, "malformed request");
        msg.respond(new Uint8Array(), { headers: h });
      },
    });
    await serverNc.flush();
    const error = await failure(client.request(Echo, "", { text: "x", times: 1 }, 2000));
    assert.equal(error.code, "bad_request");
    assert.equal(error.message, "malformed request");
    sub.unsubscribe();
  });

  it("refuses to send a message over the broker's payload limit, as bad_request", async () => {
    const { Echo, Noticed } = testContracts();
    const huge = "x".repeat((clientNc.info?.max_payload ?? 1024 * 1024) + 1);
    const error = await failure(client.request(Echo, "", { text: huge, times: 1 }, 2000));
    assert.ok(error instanceof PayloadTooLargeError);
    assert.equal(error.code, "bad_request");
    assert.throws(() => client.publish(Noticed, "", { text: huge }), PayloadTooLargeError);
  });

  it("logs an event handler's failure, thrown or rejected, and goes on delivering", async () => {
    const { Noticed } = testContracts();
    const heard: string[] = [];
    server.subscribe(Noticed, "", async ({ text }) => {
      if (text === "throw") throw new Error("handler threw");
      if (text === "reject") return Promise.reject(new Error("handler rejected"));
      heard.push(text);
    });
    await server.flush();
    for (const text of ["throw", "reject", "fine"]) client.publish(Noticed, "", { text });
    await client.flush();
    await until(() => heard.length === 1);
    const failures = lines.filter((l) => l.subject === Noticed.subject && l.msg === "event handler failed");
    assert.deepEqual(
      failures.map((l) => l.err),
      ["handler threw", "handler rejected"],
    );
  });

  it("refuses a second handler for a subject it serves, until the first is gone", async () => {
    const { PerWorker } = testContracts();
    const first = server.serve(PerWorker, "w1", () => ({ pong: true as const }));
    assert.throws(() => server.serve(PerWorker, "w1", () => ({ pong: true as const })), /already has a handler/);
    server.serve(PerWorker, "w2", () => ({ pong: true as const }));
    first.unsubscribe();
    await first.closed;
    server.serve(PerWorker, "w1", () => ({ pong: true as const }));
    await server.flush();
    assert.deepEqual(await client.request(PerWorker, "w1", {}, 2000), { pong: true });
  });

  it("hands bulky events over in order, one per turn, and what arrives behind them in between", async () => {
    const { Bulky, Noticed } = testContracts();
    const handled: string[] = [];
    server.subscribe(Bulky, "", ({ n }) => void handled.push(`bulky ${n}`));
    server.subscribe(Noticed, "", ({ text }) => void handled.push(text));
    await server.flush();
    for (let n = 0; n < 50; n++) client.publish(Bulky, "", { n });
    client.publish(Noticed, "", { text: "urgent" });
    await client.flush();
    await until(() => handled.length === 51);
    const bulky = handled.filter((h) => h !== "urgent");
    assert.deepEqual(
      bulky,
      Array.from({ length: 50 }, (_, n) => `bulky ${n}`),
    );
    // Sent last, yet handled before the bulky ones were through (they arrived together).
    assert.ok(handled.indexOf("urgent") < 50, `handled: ${handled.join(", ")}`);
  });
});
