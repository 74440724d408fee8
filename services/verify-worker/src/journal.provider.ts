import { Inject, Injectable, type OnModuleDestroy, type Provider } from "@nestjs/common";
import { Redis } from "ioredis";
import type { VerifyWorkerConfig } from "#config";
import { RedisJournal } from "#journal";
import { WORKER_CONFIG } from "#worker";

export const SESSION_JOURNAL = Symbol("SESSION_JOURNAL");

/** The verifier's Redis connection for the session journal; closed with the module. */
@Injectable()
export class JournalConnection implements OnModuleDestroy {
  readonly redis: Redis;

  constructor(@Inject(WORKER_CONFIG) config: VerifyWorkerConfig) {
    // A few retries, then the write fails and the session goes on unjournalled (see the service).
    this.redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3, enableOfflineQueue: true });
  }

  async onModuleDestroy(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
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
