import { Inject, Injectable, type OnModuleDestroy, type Provider } from "@nestjs/common";
import type { Redis } from "ioredis";
import { redisEndpointOf, type VerifyWorkerConfig } from "#config";
import { RedisJournal } from "#journal";
import type { Logger } from "#logging";
import { closeRedis, connectRedis } from "#redis";
import { WORKER_CONFIG, WORKER_LOGGER } from "#worker";

export const SESSION_JOURNAL = Symbol("SESSION_JOURNAL");

/** The verifier's Redis connection, for the session journal (its repository); closed with the module. */
@Injectable()
export class JournalConnection implements OnModuleDestroy {
  readonly redis: Redis;

  constructor(@Inject(WORKER_CONFIG) config: VerifyWorkerConfig, @Inject(WORKER_LOGGER) log: Logger) {
    // Fail fast: a write fails after a few reconnect attempts, and SessionLog decides how long to
    // retry before the round fails (it never publishes what the journal does not have).
    this.redis = connectRedis(redisEndpointOf(config), `journal-${config.WORKER_ID}`, log, { failFast: true });
  }

  async onModuleDestroy(): Promise<void> {
    await closeRedis(this.redis);
  }
}

export const journalProviders: Provider[] = [
  JournalConnection,
  {
    provide: SESSION_JOURNAL,
    useFactory: (connection: JournalConnection) => new RedisJournal(connection.redis),
    inject: [JournalConnection],
  },
];
