import type { ApiKey } from "./api-key.js";
import type { ApiKeyRepository } from "./key-repository.js";
import { hashKeySecret } from "./key-secret.js";

/** Cached answers stop at this many secrets (a client trying random keys must not grow memory). */
const MAX_CACHED = 10_000;

/**
 * The repository's answers for authentication, cached for `cacheMs`: several gateway replicas
 * share Redis, so a key revoked through any of them is refused by all within that time.
 */
export class KeyDirectory {
  private anyActiveCache: { value: boolean; until: number } | null = null;
  private readonly byHash = new Map<string, { key: ApiKey | null; until: number }>();

  constructor(
    private readonly repository: ApiKeyRepository,
    private readonly cacheMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether /v1 needs a key. */
  async keysRequired(): Promise<boolean> {
    const cached = this.anyActiveCache;
    if (cached && cached.until > this.now()) return cached.value;
    const value = await this.repository.anyActive();
    this.anyActiveCache = { value, until: this.now() + this.cacheMs };
    return value;
  }

  /** The key of a secret, revoked or not; null if none. */
  async keyOf(secret: string): Promise<ApiKey | null> {
    const hash = hashKeySecret(secret);
    const cached = this.byHash.get(hash);
    if (cached && cached.until > this.now()) return cached.key;
    const key = await this.repository.findByHash(hash);
    if (this.byHash.size >= MAX_CACHED) this.byHash.clear();
    this.byHash.set(hash, { key, until: this.now() + this.cacheMs });
    return key;
  }

  /** Forget everything cached (this replica just changed a key). */
  invalidate(): void {
    this.anyActiveCache = null;
    this.byHash.clear();
  }
}
