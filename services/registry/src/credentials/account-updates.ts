import type { NatsConnection } from "nats";
import type { Logger } from "#logging";
import type { NatsAuthority, Revocations } from "#security";
import { connectNats, type NatsEndpoint } from "#transport";

/**
 * Pushes the fleet account's JWT (with every revocation so far) to the NATS servers through the
 * system account (`$SYS.REQ.CLAIMS.UPDATE`): the servers then cut the connections of revoked
 * users at once. This is NATS's own account protocol, not a SpecFleet contract, so it has a
 * connection of its own, as the system account's user.
 */
export class AccountUpdates {
  private nc: NatsConnection | null = null;

  constructor(
    private readonly authority: NatsAuthority,
    private readonly endpoint: NatsEndpoint,
    private readonly log: Logger,
    /** The revocations in force now (pushed again when NATS comes back). */
    private readonly current: () => Revocations,
  ) {}

  /** Sends the account with these revocations; resolves once a server acknowledged it. */
  async push(revocations: Revocations): Promise<void> {
    const nc = await this.connection();
    const jwt = await this.authority.accountJwt(revocations);
    const reply = await nc.request("$SYS.REQ.CLAIMS.UPDATE", new TextEncoder().encode(jwt), { timeout: 5000 });
    const answer = JSON.parse(new TextDecoder().decode(reply.data)) as { data?: { code?: number; message?: string } };
    if (answer.data?.code !== 200)
      throw new Error(`NATS refused the account update: ${answer.data?.message ?? "no answer code"}`);
    this.log.info({ revoked: Object.keys(revocations).length }, "account update pushed to NATS");
  }

  async close(): Promise<void> {
    await this.nc?.drain().catch(() => undefined);
    this.nc = null;
  }

  private async connection(): Promise<NatsConnection> {
    if (this.nc === null || this.nc.isClosed()) {
      const creds = await this.authority.systemUserCreds();
      const nc = await connectNats(
        { ...this.endpoint, credsFile: undefined, creds },
        "specfleet-authority",
        this.log,
        (e) => this.log.error({ err: e.message }, "the system account's connection was refused"),
      );
      this.nc = nc;
      void this.pushAgainOnReconnect(nc);
    }
    return this.nc;
  }

  /**
   * A nats-server that restarted without its resolver's folder (a fresh pod, a temporary
   * directory) knows only the preloaded account, without revocations: push them again.
   */
  private async pushAgainOnReconnect(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type !== "reconnect") continue;
      const revocations = this.current();
      if (Object.keys(revocations).length === 0) continue;
      await this.push(revocations).catch((err: unknown) =>
        this.log.error({ err: String(err) }, "could not push the revocations again after NATS came back"),
      );
    }
  }
}
