import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "nats";
import pino from "pino";
import {
  FleetSecrets,
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
import { connectToFleet } from "./fleet-nats.js";
import { startTestFleet } from "./fleet.js";

/**
 * A fleet whose workers reach NATS through a latency proxy (so sessions last long enough to be
 * struck mid-stream), on its own nats-server and redis-server (append-only file on, in a folder
 * that survives restarts of redis-server), with an observer's bus for the test. The scheduler
 * pairs with `least-loaded` unless told otherwise: with a tiny target and every worker 20 ms
 * from the broker, `load-aware` rightly decodes alone at the verifiers, and these fleets are
 * here to strike pairs. Secured as any test fleet: the servers run with the fleet's own secrets
 * (credentials and permissions, Redis users), and are restarted with them.
 */
export interface ProxiedFleet {
  fleet: LocalFleet;
  proxy: LatencyProxy;
  nats: ServerHandle;
  redis: ServerHandle;
  redisDir: string;
  bus: ContractBus;
  secrets: FleetSecrets;
  /** Starts redis-server again on the same port and folder (after a test killed it). */
  restartRedis(): Promise<void>;
  /** Starts nats-server again on the same port with the fleet's configuration (after a test killed it). */
  restartNats(): Promise<void>;
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
    const secretsDir = await mkdtemp(join(tmpdir(), `specfleet-${name}-secrets-`));
    started.push(() => rm(secretsDir, { recursive: true, force: true }));
    const secrets = await FleetSecrets.prepare(secretsDir);
    const nats = await startNats({ config: secrets.natsConfig.bind(secrets) });
    started.push(() => nats.stop());
    const redisDir = await mkdtemp(join(tmpdir(), `specfleet-${name}-redis-`));
    started.push(() => rm(redisDir, { recursive: true, force: true }));
    const redis = await startRedis({ dir: redisDir, appendOnly: true, acl: secrets.redisAcl() });
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
      secrets,
      verifiers: verifiers.map((id) => ({ id, env })),
      drafters: drafters.map((id) => ({ id, env })),
    });
    parts = { nats, redisDir, redis, proxy, fleet, secrets, secretsDir };
  } catch (err) {
    await unwind();
    throw err;
  }
  const { nats, redisDir, redis, proxy, fleet, secrets, secretsDir } = parts;
  // As admin (it may hear and send anything), rejoining a restarted nats-server for ever.
  const nc: NatsConnection = await connectToFleet(fleet);
  const harness: ProxiedFleet = {
    fleet,
    proxy,
    nats,
    redis,
    redisDir,
    secrets,
    // The operator's identity (its credential may hear and send anything).
    bus: new ContractBus(nc, pino({ level: "silent" }), ADMIN_IDENTITY),
    restartRedis: async () => {
      harness.redis = await startRedis({
        dir: redisDir,
        appendOnly: true,
        port: harness.redis.port,
        acl: secrets.redisAcl(),
      });
    },
    restartNats: async () => {
      harness.nats = await startNats({ port: harness.nats.port, config: secrets.natsConfig.bind(secrets) });
    },
    stop: async () => {
      await nc.close();
      await fleet.stop();
      await proxy.close();
      await harness.redis.stop();
      await harness.nats.stop();
      await rm(redisDir, { recursive: true, force: true });
      await rm(secretsDir, { recursive: true, force: true });
    },
  };
  return harness;
}
