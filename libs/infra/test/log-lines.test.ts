import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatLogLine, isReadyLine } from "#infra";

void describe("isReadyLine", () => {
  const cases: Array<[string, boolean]> = [
    ['{"level":30,"msg":"ready"}', true],
    ['{"level":30,"msg":"ready","port":8080}', true],
    ['{"level":30,"msg":"not ready"}', false],
    ['{"level":30,"msg":"starting"}', false],
    ["ready", false],
    ['{"msg":', false],
    ["[1] nats-server ready", false],
  ];
  for (const [line, expected] of cases) {
    void it(`${line} → ${expected}`, () => assert.equal(isReadyLine(line), expected));
  }
});

void describe("formatLogLine", () => {
  void it("keeps level, message and fields, drops pino bookkeeping", () => {
    const time = Date.UTC(2025, 0, 1, 12, 0, 1);
    const line = JSON.stringify({
      level: 40,
      time,
      pid: 1,
      hostname: "h",
      actor: "gateway",
      msg: "slow",
      ms: 12,
      worker: "v-1",
    });
    assert.equal(formatLogLine(line), "12:00:01 WARN slow ms=12 worker=v-1");
  });

  void it("leaves other lines as they are", () => {
    assert.equal(formatLogLine("[123] nats-server started"), "[123] nats-server started");
  });
});
