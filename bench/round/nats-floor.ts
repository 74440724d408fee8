/**
 * The floor under a round's NATS transit: a request and its reply between two Node processes
 * through the fleet's own nats-server, with no work at either end, sent as far apart as a
 * round's own work keeps them (both processes and the broker asleep in between, as in a round).
 * Both ends connect as the fleet's services do (its credentials, its TLS). Run as a child
 * process it is the responder (the endpoint in SPECFLEET_FLOOR_ENDPOINT, as JSON).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { NatsEndpoint } from "#transport";
import { connectToFleet } from "../../test/support/fleet-nats.js";
import { median } from "../support/report.js";

const SUBJECT = "bench.round.floor";
const ENDPOINT_VAR = "SPECFLEET_FLOOR_ENDPOINT";
/** About a greedy round's request (ids and a window of u32 tokens) and its reply. */
const REQUEST_BYTES = 96;

/** Median ms of `count` request-replies `gapMs` apart, to a responder in another process. */
export async function natsFloorMs(
  endpoint: NatsEndpoint,
  { count = 400, gapMs = 5 }: { count?: number; gapMs?: number } = {},
): Promise<number> {
  // The endpoint (it may hold a credential) goes by the environment, not the command line.
  const responder = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, [ENDPOINT_VAR]: JSON.stringify(endpoint) },
  });
  try {
    const [line] = (await once(responder.stdout!, "data")) as [Buffer];
    if (!line.toString().includes("ready")) throw new Error(`the NATS floor's responder said: ${line.toString()}`);
    const nc = await connectToFleet(endpoint);
    const data = new Uint8Array(REQUEST_BYTES);
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const sent = performance.now();
      await nc.request(SUBJECT, data, { timeout: 5000 });
      if (i >= 20) times.push(performance.now() - sent); // the first few warm the connection
      await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
    await nc.close();
    return median(times);
  } finally {
    responder.kill();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const nc = await connectToFleet(JSON.parse(process.env[ENDPOINT_VAR]!) as NatsEndpoint);
  const reply = new Uint8Array(REQUEST_BYTES / 2);
  nc.subscribe(SUBJECT, { callback: (_error, msg) => msg.respond(reply) });
  await nc.flush();
  process.stdout.write("ready\n");
}
