import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { NatsConnection } from "nats";
import type { LocalFleet } from "#infra";
import { connectToFleet } from "../support/fleet-nats.js";
import { complete, postRaw } from "../support/openai-client.js";
import { MODEL, MODEL_PATH, startTestFleet } from "../support/fleet.js";
import { referenceCompletions } from "../support/reference.js";

/** Bad input gets a clear error, loses nothing, and crashes no actor. */
describe("bad input", () => {
  let fleet: LocalFleet;
  let nc: NatsConnection;

  before(async () => {
    fleet = await startTestFleet("bad-input", { verifiers: 1, drafters: 1, maxSessions: 4 });
    nc = await connectToFleet(fleet);
  });

  after(async () => {
    await nc?.close();
    await fleet?.stop();
  });

  const cases: Array<{
    name: string;
    body: string;
    status: number;
    param?: string | null;
    code?: string | null;
    message: RegExp;
  }> = [
    { name: "malformed JSON", body: '{"model": ', status: 400, code: "invalid_json", message: /not valid JSON/ },
    { name: "a JSON array", body: "[1,2]", status: 400, message: /must be a JSON object/ },
    { name: "no model", body: JSON.stringify({ prompt: "x" }), status: 400, param: "model", message: /model/ },
    {
      name: "unknown model",
      body: JSON.stringify({ model: "gpt-9", prompt: "x" }),
      status: 404,
      code: "model_not_found",
      message: /gpt-9/,
    },
    {
      name: "max_tokens 0",
      body: JSON.stringify({ model: MODEL, prompt: "x", max_tokens: 0 }),
      status: 400,
      param: "max_tokens",
      message: /at least 1/,
    },
    {
      name: "max_tokens too big",
      body: JSON.stringify({ model: MODEL, prompt: "x", max_tokens: 10_000_000 }),
      status: 400,
      param: "max_tokens",
      message: /at most/,
    },
    {
      name: "max_tokens not an integer",
      body: JSON.stringify({ model: MODEL, prompt: "x", max_tokens: 2.5 }),
      status: 400,
      param: "max_tokens",
      message: /integer/,
    },
    {
      name: "top_p of 0",
      body: JSON.stringify({ model: MODEL, prompt: "x", top_p: 0 }),
      status: 400,
      param: "top_p",
      message: /\(0, 1\]/,
    },
    {
      name: "fractional top_k",
      body: JSON.stringify({ model: MODEL, prompt: "x", top_k: 2.5 }),
      status: 400,
      param: "top_k",
      message: /integer/,
    },
    {
      name: "priority out of range",
      body: JSON.stringify({ model: MODEL, prompt: "x", priority: 5000 }),
      status: 400,
      param: "priority",
      message: /between -1000 and 1000/,
    },
    {
      name: "negative seed",
      body: JSON.stringify({ model: MODEL, prompt: "x", seed: -3 }),
      status: 400,
      param: "seed",
      message: /between 0 and/,
    },
    {
      name: "seed as text",
      body: JSON.stringify({ model: MODEL, prompt: "x", seed: "abc" }),
      status: 400,
      param: "seed",
      message: /integer/,
    },
    {
      name: "temperature out of range",
      body: JSON.stringify({ model: MODEL, prompt: "x", temperature: 5 }),
      status: 400,
      param: "temperature",
      message: /between 0 and 2/,
    },
    {
      name: "prompt of the wrong type",
      body: JSON.stringify({ model: MODEL, prompt: 42 }),
      status: 400,
      param: "prompt",
      message: /prompt/,
    },
    {
      name: "several prompts",
      body: JSON.stringify({ model: MODEL, prompt: ["a", "b"] }),
      status: 400,
      message: /one prompt/,
    },
    {
      // Within the gateway's 200,000 characters and its 1 MiB body, but each control character
      // takes 6 bytes as JSON: the message that carries it through the fleet would exceed NATS's 1 MiB.
      name: "a prompt too large for the fleet's messages once escaped",
      body: JSON.stringify({ model: MODEL, prompt: "\u0001".repeat(174_740), max_tokens: 4 }),
      status: 400,
      param: "prompt",
      message: /1048442 bytes once encoded as JSON, more than the 900000/,
    },
    {
      name: "a prompt longer than the context",
      body: JSON.stringify({ model: MODEL, prompt: "Once upon a time ".repeat(200), max_tokens: 16 }),
      status: 400,
      code: "context_length_exceeded",
      message: /exceeds the model's context/,
    },
  ];

  for (const c of cases) {
    it(`answers ${c.name} with ${c.status} and OpenAI's error object`, async () => {
      const { status, body } = await postRaw(fleet.gatewayUrl, c.body);
      assert.equal(status, c.status, JSON.stringify(body));
      assert.ok(body.error, "an error object");
      assert.match(body.error.message, c.message);
      assert.ok(body.error.type.length > 0);
      if (c.param !== undefined) assert.equal(body.error.param, c.param);
      if (c.code !== undefined) assert.equal(body.error.code, c.code);
    });
  }

  it("rejects garbage on worker and control-plane subjects with a reason, and keeps serving", async () => {
    const garbage = [
      new TextEncoder().encode("\u0000not json{"),
      new TextEncoder().encode(JSON.stringify({ sessionId: 5, position: -1 })),
    ];
    // Sent as the admin (who may publish anything): garbage is refused by its schema, whoever sends it.
    for (const subject of [
      "specfleet.verifier.verifier-1.verify.drafter-1",
      "specfleet.verifier.verifier-1.open",
      "specfleet.drafter.drafter-1.open",
      "specfleet.worker.verifier-1.close.scheduler",
    ]) {
      for (const payload of garbage) {
        const reply = await nc.request(subject, payload, { timeout: 3000 });
        const reason = reply.headers?.get("SpecFleet-Error") ?? "";
        assert.match(reason, /malformed/, `${subject} answers with a reason`);
      }
    }
    for (const subject of [
      "specfleet.fleet.register.drafter-1",
      "specfleet.fleet.telemetry.drafter-1",
      "specfleet.scheduler.session-ended.verifier-1",
      "specfleet.fleet.changed",
    ]) {
      for (const payload of garbage) nc.publish(subject, payload);
      nc.publish(
        subject,
        new TextEncoder().encode(JSON.stringify({ pattern: subject, data: { workerId: "../../etc" } })),
      );
    }
    await nc.flush();
    const result = await complete(fleet.gatewayUrl, { model: MODEL, prompt: "Once upon a time", max_tokens: 8 });
    assert.equal(result.status, 200);
    assert.equal(result.tokenIds.length, 8);
    for (const [name, process] of fleet.processes) assert.ok(process.running, `${name} is still running`);
  });

  it("never pairs a drafter whose vocabulary differs: the target answers alone, token-identical", async () => {
    // Stop the real drafter and register an impostor with another tokenizer fingerprint.
    await fleet.processes.get("drafter-1")!.stop();
    const impostor = {
      workerId: "drafter-impostor",
      role: "drafter",
      model: { name: "other-tokenizer", vocabFingerprint: "vocab-0000000000000000" },
      deviceClass: "cpu",
      threads: 1,
      maxSessions: 4,
      contextSize: 512,
      startedAt: Date.now(),
    };
    nc.publish("specfleet.fleet.register", new TextEncoder().encode(JSON.stringify(impostor)));
    await nc.flush();
    await new Promise((r) => setTimeout(r, 500));
    const reference = await referenceCompletions(MODEL_PATH, ["Once upon a time"], 32);
    const result = await complete(fleet.gatewayUrl, { model: MODEL, prompt: "Once upon a time", max_tokens: 32 });
    assert.equal(result.status, 200, JSON.stringify(result.body));
    assert.deepEqual(result.tokenIds, (await reference.for("Once upon a time", result.tokenIds)).tokens);
    const scheduler = fleet.processes.get("scheduler")!.recentLines(200).join("\n");
    assert.match(scheduler, /"msg":"decoding alone"/);
    assert.doesNotMatch(scheduler, /"drafterId":"drafter-impostor"/);
  });
});
