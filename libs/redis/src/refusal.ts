import type { Logger } from "#logging";

/** Why Redis would not serve this process; reconnecting cannot help, its configuration must change. */
export type RedisRefusalKind = "wrong-credentials" | "needs-password" | "no-permission";

/** Redis refused the connection's credentials or the commands every connection needs. */
export class RedisRefusedError extends Error {
  constructor(
    readonly kind: RedisRefusalKind,
    message: string,
  ) {
    super(message);
    this.name = "RedisRefusedError";
  }
}

/**
 * The refusal an ioredis connection error means, or null for any other error (a network outage:
 * keep reconnecting). ioredis reports a refused AUTH/HELLO or ready check as a connection error
 * and then reconnects for ever with the same credentials, so the caller must stop it.
 */
export function refusalOf(err: Error, name: string, username: string | undefined): RedisRefusedError | null {
  const user = username ?? "default";
  const reply = err.message.split("\n")[0] ?? "";
  if (reply.startsWith("WRONGPASS"))
    return new RedisRefusedError(
      "wrong-credentials",
      `redis refused the credentials of user '${user}' (${name}): REDIS_USERNAME must name this actor's Redis user (gateway, scheduler, registry or verifier) and REDIS_PASSWORD_FILE a file holding its password, as in the server's aclfile`,
    );
  if (reply.startsWith("NOAUTH"))
    return new RedisRefusedError(
      "needs-password",
      `redis requires a password and ${name} gave none: set REDIS_USERNAME to this actor's Redis user and REDIS_PASSWORD_FILE to a file holding its password`,
    );
  if (reply.startsWith("NOPERM"))
    return new RedisRefusedError(
      "no-permission",
      `redis user '${user}' may not run a command every connection needs (${reply}): regenerate the server's aclfile (libs/security redisAclFile) or use the right REDIS_USERNAME`,
    );
  return null;
}

/** The default answer to a refusal: say what to fix, on the log and on stderr, and exit (status 2, a configuration error). */
export function exitOnRefusal(log: Logger): (error: RedisRefusedError) => void {
  return (error) => {
    log.fatal({ kind: error.kind }, error.message);
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  };
}
