import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Controller, Module, type INestMicroservice } from "@nestjs/common";
import { EventPattern, MessagePattern, Payload } from "@nestjs/microservices";
import { headers as natsHeaders, type NatsConnection } from "nats";
import { z } from "zod";
import { eventContract, requestContract, type AnyContract } from "#contracts";
import type { ServerHandle } from "#infra";
import {
  CONTRACT_VERSION_HEADER,
  ContractBus,
  createContractMicroservice,
  ERROR_CODE_HEADER,
  ERROR_HEADER,
  PeerError,
  SpecFleetError,
} from "#transport";
import { capturedLogger, clientBus, natsPair, testContracts, until, WARN, type LogLine } from "./support.js";

const { Echo, Noticed, PerWorker } = testContracts();
const noticed: string[] = [];

@Controller()
class EchoController {
  @MessagePattern(Echo.subject)
  echo(@Payload() request: { text: string; times: number }): { text: string } {
    if (request.text === "busy") throw new SpecFleetError("worker_busy", "every slot is taken");
    if (request.text === "crash") throw new Error("a bug in the handler");
    return { text: request.text.repeat(request.times) };
  }

  @EventPattern(Noticed.subject)
  notice(@Payload() event: { text: string }): void {
    noticed.push(event.text);
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

@Controller()
class UndeclaredController {
  @MessagePattern("test.transport.undeclared")
  undeclared(): string {
    return "never served";
  }
}

@Module({ controllers: [UndeclaredController] })
class UndeclaredModule {}

const encode = (text: string) => new TextEncoder().encode(text);

describe("ContractServer: Nest controllers served through the ContractBus", () => {
  let nats: ServerHandle;
  let serverNc: NatsConnection;
  let clientNc: NatsConnection;
  let client: ContractBus;
  let app: INestMicroservice;
  let lines: LogLine[];

  before(async () => {
    ({ nats, server: serverNc, client: clientNc } = await natsPair());
    const captured = capturedLogger();
    lines = captured.lines;
    const bus = new ContractBus(serverNc, captured.log);
    app = await createContractMicroservice(EchoModule, { bus, contracts: [Echo, Noticed], log: captured.log });
    await app.listen();
    await serverNc.flush();
    client = clientBus(clientNc);
  });

  after(async () => {
    await app?.close();
    await serverNc?.close();
    await clientNc?.close();
    await nats?.stop();
  });

  it("serves a @MessagePattern request and an @EventPattern event", async () => {
    assert.deepEqual(await client.request(Echo, "", { text: "ab", times: 2 }, 2000), { text: "abab" });
    client.publish(Noticed, "", { text: "hello" });
    await client.flush();
    await until(() => noticed.includes("hello"));
  });

  it("answers a handler's SpecFleetError with its code, and an unexpected exception as internal", async () => {
    const busy = await client.request(Echo, "", { text: "busy", times: 1 }, 2000).catch((e: unknown) => e);
    assert.ok(busy instanceof PeerError);
    assert.equal(busy.code, "worker_busy");
    assert.equal(busy.message, "every slot is taken");
    const crash = await client.request(Echo, "", { text: "crash", times: 1 }, 2000).catch((e: unknown) => e);
    assert.ok(crash instanceof PeerError);
    assert.equal(crash.code, "internal");
    assert.equal(crash.message, "a bug in the handler");
  });

  const garbage = [
    { name: "not JSON", payload: "\u0000not json{", version: undefined, reason: /not valid JSON/ },
    { name: "the wrong shape", payload: '{"text":5}', version: undefined, reason: /text/ },
    {
      name: "another contract version",
      payload: '{"text":"x","times":1}',
      version: "7",
      reason: /the sender speaks v7, this actor v1/,
    },
  ];
  for (const c of garbage) {
    it(`answers a request of ${c.name} with bad_request and a warning naming subject and reason`, async () => {
      const h = natsHeaders();
      if (c.version) h.set(CONTRACT_VERSION_HEADER, c.version);
      const reply = await clientNc.request(Echo.subject, encode(c.payload), { timeout: 2000, headers: h });
      assert.equal(reply.headers?.get(ERROR_CODE_HEADER), "bad_request");
      assert.match(reply.headers?.get(ERROR_HEADER) ?? "", c.reason);
      const logged = lines.findLast((l) => l.subject === Echo.subject);
      assert.equal(logged?.msg, "rejected malformed request");
      assert.equal(logged?.level, WARN);
      assert.match(logged?.reason ?? "", c.reason);
    });

    it(`drops an event of ${c.name} with a warning naming subject and reason`, async () => {
      const before = noticed.length;
      const h = natsHeaders();
      if (c.version) h.set(CONTRACT_VERSION_HEADER, c.version);
      clientNc.publish(Noticed.subject, encode(c.payload.replace('"text":"x"', '"text":"garbage"')), { headers: h });
      await clientNc.flush();
      await until(() => lines.some((l) => l.subject === Noticed.subject && c.reason.test(l.reason ?? "")));
      const logged = lines.findLast((l) => l.subject === Noticed.subject);
      assert.equal(logged?.msg, "rejected malformed event");
      assert.equal(logged?.level, WARN);
      assert.equal(noticed.length, before, "the handler never saw it");
    });
  }

  const Unserved = requestContract(`${Echo.subject}.unserved`, 1, z.object({}), z.object({}));
  const EchoAsEvent = eventContract(Echo.subject, 1, z.object({}));
  const misconfigured: Array<{ name: string; module: typeof EchoModule; contracts: AnyContract[]; error: RegExp }> = [
    {
      name: "a handler whose pattern has no contract",
      module: UndeclaredModule,
      contracts: [],
      error: /@MessagePattern\('test\.transport\.undeclared'\) has no contract/,
    },
    {
      name: "a contract with no handler",
      module: EchoModule,
      contracts: [Echo, Noticed, Unserved],
      error: /\.unserved has no @MessagePattern handler/,
    },
    {
      name: "an event contract served by @MessagePattern",
      module: EchoModule,
      contracts: [EchoAsEvent, Noticed],
      error: /is an event contract: serve it with @EventPattern/,
    },
    {
      name: "a per-worker subject",
      module: EchoModule,
      contracts: [Echo, Noticed, PerWorker],
      error: /per-worker subject is served with ContractBus\.serve/,
    },
  ];
  for (const c of misconfigured) {
    it(`refuses to start with ${c.name}`, async () => {
      const { log } = capturedLogger();
      const bus = new ContractBus(serverNc, log);
      const broken = await createContractMicroservice(c.module as typeof EchoModule, {
        bus,
        contracts: c.contracts,
        log,
      });
      await assert.rejects(broken.listen(), c.error);
      await broken.close();
    });
  }
});
