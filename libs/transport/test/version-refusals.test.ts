import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { NatsConnection } from "nats";
import { pino } from "pino";
import { z } from "zod";
import { eventContract, requestContract } from "#contracts";
import type { ServerHandle } from "#infra";
import { ContractBus, PeerError } from "#transport";
import { capturedLogger, natsPair, until, WARN, type LogLine } from "./support.js";

const DEBUG = 20;
let counter = 0;
/** A sender-bound event and request (their `{from}` names the sender), at version 3, and their v2 and v4. */
function senderBound() {
  const prefix = `test.version-refusals.${process.pid}.${counter++}`;
  const beat = z.object({ workerId: z.string() });
  const at = (version: number) => ({
    Beat: eventContract(`${prefix}.beat.{from}`, version, beat, { senderField: "workerId" }),
    Drain: requestContract(`${prefix}.drain.{from}`, version, beat, z.object({ ok: z.boolean() }), {
      senderField: "workerId",
    }),
  });
  return { v2: at(2), v3: at(3), v4: at(4) };
}

/**
 * During an upgrade an older worker repeats a refused message every second until it is upgraded:
 * the receiver warns once per sender, contract and version (naming whom to upgrade), and goes on
 * refusing each one.
 */
describe("refusals for another contract version", () => {
  let nats: ServerHandle;
  let serverNc: NatsConnection;
  let clientNc: NatsConnection;
  let server: ContractBus;
  let lines: LogLine[];
  const silent = pino({ level: "silent" });
  const as = (identity: string) => new ContractBus(clientNc, silent, identity);
  const about = (subject: string) => lines.filter((l) => l.subject === subject);

  before(async () => {
    ({ nats, server: serverNc, client: clientNc } = await natsPair());
    const captured = capturedLogger();
    lines = captured.lines;
    server = new ContractBus(serverNc, captured.log, "registry");
  });

  after(async () => {
    await serverNc?.close();
    await clientNc?.close();
    await nats?.stop();
  });

  it("warns once per sender and version of an event, then logs the repeats at debug", async () => {
    const { v2, v3, v4 } = senderBound();
    const heard: string[] = [];
    server.subscribe(v3.Beat, "", ({ workerId }) => heard.push(workerId));
    await server.flush();
    for (let i = 0; i < 3; i++) as("old-1").publish(v2.Beat, "", { workerId: "old-1" });
    as("old-2").publish(v2.Beat, "", { workerId: "old-2" });
    as("new-1").publish(v4.Beat, "", { workerId: "new-1" });
    as("current").publish(v3.Beat, "", { workerId: "current" });
    await clientNc.flush();
    await until(() => heard.length === 1);
    assert.deepEqual(heard, ["current"], "only this version's message is handled");
    const of = (sender: string) => lines.filter((l) => l.subject?.endsWith(`.beat.${sender}`));
    assert.deepEqual(
      of("old-1").map((l) => l.level),
      [WARN, DEBUG, DEBUG],
    );
    const [first] = of("old-1");
    assert.equal((first as LogLine & { sender?: string }).sender, "old-1");
    assert.match(
      first!.reason ?? "",
      /the sender speaks v2, this actor v3 \(.*\.beat\.\{from\}, sent by 'old-1'\); upgrade 'old-1'/,
    );
    assert.deepEqual(
      of("old-2").map((l) => l.level),
      [WARN],
      "another sender is warned of too",
    );
    assert.match(of("new-1")[0]?.reason ?? "", /the sender speaks v4, this actor v3 .*; upgrade this actor/);
  });

  it("answers every refused request with the reason, warning once", async () => {
    const { v2, v3 } = senderBound();
    server.serve(v3.Drain, "", () => ({ ok: true }));
    await server.flush();
    for (let i = 0; i < 2; i++) {
      await assert.rejects(
        as("old-1").request(v2.Drain, "", { workerId: "old-1" }, 2000),
        (error) => error instanceof PeerError && error.code === "bad_request" && /upgrade 'old-1'/.test(error.message),
      );
    }
    const subject = v3.Drain.subject.replace("{from}", "old-1");
    assert.deepEqual(
      about(subject).map((l) => l.level),
      [WARN, DEBUG],
    );
  });

  it("cuts a sender's version header short in what it logs", async () => {
    const { v3 } = senderBound();
    server.subscribe(v3.Beat, "", () => undefined);
    await server.flush();
    as("odd").publish({ ...v3.Beat, version: Number.MAX_SAFE_INTEGER * 1000 }, "", { workerId: "odd" });
    await clientNc.flush();
    const subject = v3.Beat.subject.replace("{from}", "odd");
    await until(() => about(subject).length === 1);
    assert.match(about(subject)[0]!.reason ?? "", /speaks v900719925474, this actor v3 /);
  });
});
