import type { ApiKey } from "./api-key.js";
import type { ApiKeyRepository } from "./key-repository.js";
import { hashKeySecret } from "./key-secret.js";

/** Cached answers stop at this many secrets (a client trying random keys must not grow memory). */
const MAX_CACHED = 10_000;

/** The key store did not answer a lookup within the directory's `lookupTimeoutMs` (Redis down or stalled). */
export class KeyLookupTimeout extends Error {
  constructor(readonly waitedMs: number) {
    super(`the API key store did not answer within ${waitedMs} ms`);
  }
}

/**
 * The repository's answers for authentication, cached for `cacheMs`: several gateway replicas
 * share Redis, so a key revoked through any of them is refused by all within that time. A lookup
 * Redis does not answer within `lookupTimeoutMs` rejects with `KeyLookupTimeout` (the Redis
 * client queues commands while disconnected, so it would otherwise wait for the whole outage);
 * callers waiting for the same answer share one lookup, so an outage queues one command per
 * secret rather than one per request.
 */
export class KeyDirectory {
  private anyActiveCache: { value: boolean; until: number } | null = null;
  private readonly byHash = new Map<string, { key: ApiKey | null; until: number }>();
  private readonly pending = new Map<string, Promise<unknown>>();

  constructor(
    private readonly repository: ApiKeyRepository,
    private readonly cacheMs: number,
    private readonly lookupTimeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether /v1 needs a key. */
  async keysRequired(): Promise<boolean> {
    const cached = this.anyActiveCache;
    if (cached && cached.until > this.now()) return cached.value;
    return this.lookup("any-active", async () => {
      const value = await this.repository.anyActive();
      this.anyActiveCache = { value, until: this.now() + this.cacheMs };
      return value;
    });
  }

  /** The key of a secret, revoked or not; null if none. */
  async keyOf(secret: string): Promise<ApiKey | null> {
    const hash = hashKeySecret(secret);
    const cached = this.byHash.get(hash);
    if (cached && cached.until > this.now()) return cached.key;
    return this.lookup(`hash:${hash}`, async () => {
      const key = await this.repository.findByHash(hash);
      if (this.byHash.size >= MAX_CACHED) this.byHash.clear();
      this.byHash.set(hash, { key, until: this.now() + this.cacheMs });
      return key;
    });
  }

  /** Forget everything cached (this replica just changed a key). */
  invalidate(): void {
    this.anyActiveCache = null;
    this.byHash.clear();
  }

  /** The answer of `load`, shared by concurrent callers of the same `name`, or KeyLookupTimeout. */
  private async lookup<T>(name: string, load: () => Promise<T>): Promise<T> {
    let inFlight = this.pending.get(name) as Promise<T> | undefined;
    if (inFlight === undefined) {
      inFlight = load().finally(() => this.pending.delete(name));
      this.pending.set(name, inFlight);
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new KeyLookupTimeout(this.lookupTimeoutMs)), this.lookupTimeoutMs);
    });
    try {
      return await Promise.race([inFlight, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
