import { connect, type NatsConnection } from "nats";
import { pino, type Logger } from "pino";
import { z } from "zod";
import { eventContract, requestContract } from "#contracts";
import { startNats, type ServerHandle } from "#infra";
import { ContractBus } from "#transport";

/** A log line as pino writes it. */
export type LogLine = { level: number; msg: string; subject?: string; reason?: string; code?: string; err?: string };
export const WARN = 40;

/** A logger whose lines the test reads back. */
export function capturedLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = pino({ level: "debug" }, { write: (line: string) => lines.push(JSON.parse(line) as LogLine) });
  return { log, lines };
}

/** A fresh nats-server on a free port, and a connection to it per side of a conversation. */
export async function natsPair(): Promise<{ nats: ServerHandle; server: NatsConnection; client: NatsConnection }> {
  const nats = await startNats();
  return {
    nats,
    server: await connect({ servers: nats.url, name: "test-server" }),
    client: await connect({ servers: nats.url, name: "test-client" }),
  };
}

export function clientBus(nc: NatsConnection): ContractBus {
  return new ContractBus(nc, pino({ level: "silent" }));
}

/** Contracts private to these tests, on subjects unique to each test run. */
let counter = 0;
export function testContracts() {
  const prefix = `test.transport.${process.pid}.${counter++}`;
  const echo = z.object({ text: z.string(), times: z.number().int().positive() });
  return {
    Echo: requestContract(`${prefix}.echo`, 1, echo, z.object({ text: z.string() })),
    EchoV2: requestContract(`${prefix}.echo`, 2, echo, z.object({ text: z.string() })),
    Noticed: eventContract(`${prefix}.noticed`, 1, z.object({ text: z.string() })),
    NoticedV2: eventContract(`${prefix}.noticed`, 2, z.object({ text: z.string() })),
    Bulky: eventContract(`${prefix}.bulky`, 1, z.object({ n: z.number().int() }), { bulky: true }),
    PerWorker: requestContract(`${prefix}.worker.{id}.ping`, 1, z.object({}), z.object({ pong: z.literal(true) })),
  };
}

export const until = async (condition: () => boolean, timeoutMs = 2000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};
