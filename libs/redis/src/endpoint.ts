import type { RedisOptions } from "ioredis";

/**
 * Where a Redis is and who this process is to it: built once from an actor's configuration
 * (libs/config `redisEndpointOf`). `password` is the secret itself: never log an endpoint.
 */
export interface RedisEndpoint {
  /** `redis://host:port[/db]` or `rediss://` (TLS). */
  url: string;
  /** The ACL user (`default` when unset). */
  username?: string;
  password?: string;
  /** PEM of the CA that signed the server's certificate (rediss:// only; default: the system's CAs). */
  tlsCa?: string;
}

/**
 * The URL without its user part, and the credentials and TLS options to pass beside it: ioredis
 * lets a URL's user part win over explicit options, so the endpoint's own are taken out of it.
 * A bare URL string (tests, tools) keeps whatever credentials it carries.
 */
export function endpointParts(endpoint: RedisEndpoint | string): { url: string; options: RedisOptions } {
  const given = typeof endpoint === "string" ? { url: endpoint } : endpoint;
  const url = new URL(given.url);
  const username = given.username ?? (decodeURIComponent(url.username) || undefined);
  const password = given.password ?? (decodeURIComponent(url.password) || undefined);
  url.username = "";
  url.password = "";
  const options: RedisOptions = {};
  if (username !== undefined) options.username = username;
  if (password !== undefined) options.password = password;
  if (given.tlsCa !== undefined) options.tls = { ca: given.tlsCa };
  return { url: url.toString(), options };
}

/** The endpoint's address for logs: the URL without any user part. */
export function describeEndpoint(endpoint: RedisEndpoint | string): string {
  const { url, options } = endpointParts(endpoint);
  return options.username ? `${url} (user ${options.username})` : url;
}
