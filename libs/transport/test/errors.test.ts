import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { headers as natsHeaders, type Msg } from "nats";
import type { RemoteError } from "#contracts";
import {
  ERROR_CODE_HEADER,
  ERROR_HEADER,
  errorHeaders,
  remoteErrorOf,
  SpecFleetError,
  toRemoteError,
  WIRE_HEADER,
} from "#transport";

describe("toRemoteError: what a handler's failure says on the wire", () => {
  const cases: Array<{ name: string; thrown: unknown; expected: RemoteError }> = [
    {
      name: "a SpecFleetError keeps its code",
      thrown: new SpecFleetError("worker_busy", "no free slot"),
      expected: { code: "worker_busy", message: "no free slot" },
    },
    {
      name: "an RpcException's {code, message} keeps its code",
      thrown: { getError: () => ({ code: "session_lost", message: "gone" }) },
      expected: { code: "session_lost", message: "gone" },
    },
    {
      name: "a coded object keeps its code",
      thrown: { code: "queue_full", message: "full" },
      expected: { code: "queue_full", message: "full" },
    },
    {
      name: "an Error is internal",
      thrown: new RangeError("index out of range"),
      expected: { code: "internal", message: "index out of range" },
    },
    {
      name: "Nest's default filter output is internal",
      thrown: { status: "error", message: "Internal server error" },
      expected: { code: "internal", message: "Internal server error" },
    },
    {
      name: "an unknown code is internal",
      thrown: { code: "teapot", message: "short and stout" },
      expected: { code: "internal", message: "short and stout" },
    },
    { name: "a string is internal", thrown: "plain failure", expected: { code: "internal", message: "plain failure" } },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(toRemoteError(c.thrown), c.expected));
});

describe("remoteErrorOf: reading an error reply", () => {
  const reply = (entries: Record<string, string>) => {
    const h = natsHeaders();
    for (const [key, value] of Object.entries(entries)) h.set(key, value);
    return { headers: h } as unknown as Msg;
  };
  const cases: Array<{ name: string; headers: Record<string, string>; expected: RemoteError | null }> = [
    { name: "a normal reply has none", headers: { [WIRE_HEADER]: "1" }, expected: null },
    {
      name: "wire v1: code and message",
      headers: { [WIRE_HEADER]: "1", [ERROR_CODE_HEADER]: "model_not_found", [ERROR_HEADER]: "no gpt-9" },
      expected: { code: "model_not_found", message: "no gpt-9" },
    },
    {
      name: "before wire v1: a message only, read as bad_request",
      headers: { [ERROR_HEADER]: "malformed x" },
      expected: { code: "bad_request", message: "malformed x" },
    },
    {
      name: "a code this side does not know is internal, and named",
      headers: { [ERROR_CODE_HEADER]: "rate_limited", [ERROR_HEADER]: "slow down" },
      expected: { code: "internal", message: "unknown error code 'rate_limited': slow down" },
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(remoteErrorOf(reply(c.headers)), c.expected));

  it("writes the message on one line, cut at 1000 characters", () => {
    const h = errorHeaders({ code: "internal", message: `first\r\nsecond ${"x".repeat(2000)}` });
    assert.equal(h.get(ERROR_CODE_HEADER), "internal");
    assert.equal(h.get(WIRE_HEADER), "1");
    assert.match(h.get(ERROR_HEADER), /^first second x+$/);
    assert.equal(h.get(ERROR_HEADER).length, 1000);
  });
});
