import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "nats";
import pino from "pino";
import {
  startLatencyProxy,
  startNats,
  startRedis,
  type LatencyProxy,
  type LocalFleet,
  type LocalFleetOptions,
  type ServerHandle,
} from "#infra";
import { ADMIN_IDENTITY } from "#contracts";
import { ContractBus } from "#transport";
import { startTestFleet } from "./fleet.js";

/**
 * A fleet whose workers reach NATS through a latency proxy (so sessions last long enough to be
 * struck mid-stream), on its own nats-server and redis-server (append-only file on, in a folder
 * that survives restarts of redis-server), with an observer's bus for the test. The scheduler
 * pairs with `least-loaded` unless told otherwise: with a tiny target and every worker 20 ms
 * from the broker, `load-aware` rightly decodes alone at the verifiers, and these fleets are
 * here to strike pairs.
 */
export interface ProxiedFleet {
  fleet: LocalFleet;
  proxy: LatencyProxy;
  nats: ServerHandle;
  redis: ServerHandle;
  redisDir: string;
  bus: ContractBus;
  /** Starts redis-server again on the same port and folder (after a test killed it). */
  restartRedis(): Promise<void>;
  stop(): Promise<void>;
}

export async function startProxiedFleet(
  name: string,
  options: { verifiers: string[]; drafters: string[]; delayMs?: number } & Omit<
    LocalFleetOptions,
    "verifiers" | "drafters"
  >,
): Promise<ProxiedFleet> {
  const { verifiers, drafters, delayMs = 10, ...fleetOptions } = options;
  // What started so far is stopped if a later step fails: a server left running would keep the
  // test process alive, and the test would hang instead of failing.
  const started: Array<() => Promise<unknown>> = [];
  const unwind = async () => {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
  };
  let parts;
  try {
    const nats = await startNats();
    started.push(() => nats.stop());
    const redisDir = await mkdtemp(join(tmpdir(), `specfleet-${name}-redis-`));
    started.push(() => rm(redisDir, { recursive: true, force: true }));
    const redis = await startRedis({ dir: redisDir, appendOnly: true });
    started.push(() => redis.stop());
    const natsUrl = new URL(nats.url);
    const proxy = await startLatencyProxy(natsUrl.hostname, Number(natsUrl.port), { delayMs });
    started.push(() => proxy.close());
    const env = { NATS_URL: proxy.url("nats") };
    const fleet = await startTestFleet(name, {
      ...fleetOptions,
      serviceEnv: {
        ...fleetOptions.serviceEnv,
        scheduler: { PAIRING_POLICY: "least-loaded", ...fleetOptions.serviceEnv?.scheduler },
      },
      natsUrl: nats.url,
      redisUrl: redis.url,
      verifiers: verifiers.map((id) => ({ id, env })),
      drafters: drafters.map((id) => ({ id, env })),
    });
    parts = { nats, redisDir, redis, proxy, fleet };
  } catch (err) {
    await unwind();
    throw err;
  }
  const { nats, redisDir, redis, proxy, fleet } = parts;
  const nc: NatsConnection = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  const harness: ProxiedFleet = {
    fleet,
    proxy,
    nats,
    redis,
    redisDir,
    // The operator's identity: an open fleet (through a latency proxy), but a verifier takes a close only from the control plane.
    bus: new ContractBus(nc, pino({ level: "silent" }), ADMIN_IDENTITY),
    restartRedis: async () => {
      harness.redis = await startRedis({ dir: redisDir, appendOnly: true, port: harness.redis.port });
    },
    stop: async () => {
      await nc.close();
      await fleet.stop();
      await proxy.close();
      await harness.redis.stop();
      await harness.nats.stop();
      await rm(redisDir, { recursive: true, force: true });
    },
  };
  return harness;
}
