import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "nats";
import pino from "pino";
import { CredentialIssue, type DeviceRole } from "#contracts";
import type { LocalFleet } from "#infra";
import { connectNats, ContractBus, type NatsCredentialError, type NatsEndpoint } from "#transport";

const silent = pino({ level: "silent" });

/** A device credential issued by a fleet's registry (the credential authority), as a device holds it. */
export interface IssuedDevice {
  deviceId: string;
  role: DeviceRole;
  /** The `.creds` file (mode 0600) in a temporary folder of the test's. */
  credsFile: string;
  /** How the device reaches the fleet's NATS with it. */
  endpoint: NatsEndpoint;
}

/** Temporary files of a test file's devices; `remove()` in its `after`. */
export class DeviceFolder {
  readonly dir = mkdtempSync(join(tmpdir(), "specfleet-devices-"));

  /** Asks the registry for a credential as an operator (`admin`) would, and writes it where a device keeps it. */
  async issue(fleet: LocalFleet, admin: ContractBus, deviceId: string, role: DeviceRole): Promise<IssuedDevice> {
    const reply = await admin.request(CredentialIssue, "", { deviceId, role, note: "test device" }, 10_000);
    if (!reply.ok) throw new Error(`the registry would not issue ${deviceId}'s credential: ${reply.error.message}`);
    const credsFile = this.write(`${deviceId}.creds`, reply.creds);
    return { deviceId, role, credsFile, endpoint: deviceEndpoint(fleet, credsFile) };
  }

  write(name: string, content: string): string {
    const file = join(this.dir, name);
    writeFileSync(file, content, { mode: 0o600 });
    return file;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The fleet's NATS with this `.creds` file (and its CA when it speaks TLS). */
export function deviceEndpoint(fleet: LocalFleet, credsFile: string): NatsEndpoint {
  return { url: fleet.natsUrl, credsFile, tlsCaFile: fleet.secrets?.tls?.caFile };
}

/** What the server refused a connection: `operation` (publish or subscription) on `subject`. */
export interface PermissionRefusal {
  operation: string;
  subject: string;
}

/**
 * A device's own connection that records every permissions violation the server reports (nats.js
 * hands them to the status stream, and to the subscription it closes) and a later cut (revocation).
 */
export class DeviceConnection {
  readonly refusals: PermissionRefusal[] = [];
  cut: NatsCredentialError | null = null;

  private constructor(
    readonly nc: NatsConnection,
    readonly bus: ContractBus,
  ) {}

  static async open(device: IssuedDevice): Promise<DeviceConnection> {
    let connection: DeviceConnection | null = null;
    let cutEarly: NatsCredentialError | null = null;
    const nc = await connectNats(device.endpoint, device.deviceId, silent, (error) => {
      if (connection) connection.cut = error;
      else cutEarly = error;
    });
    connection = new DeviceConnection(nc, new ContractBus(nc, silent, device.deviceId));
    connection.cut = cutEarly;
    void connection.watch();
    return connection;
  }

  /** Resolves once the server has refused `operation` on `subject`; rejects after `timeoutMs`. */
  async refused(operation: "publish" | "subscription", subject: string, timeoutMs = 5000): Promise<void> {
    await this.nc.flush().catch(() => undefined);
    const deadline = Date.now() + timeoutMs;
    while (!this.refusals.some((r) => r.operation === operation && r.subject === subject)) {
      if (Date.now() > deadline)
        throw new Error(
          `no permissions violation for ${operation} to ${subject} (seen: ${JSON.stringify(this.refusals)})`,
        );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Whether the server refused `operation` on `subject` (after a round trip, so a refusal has arrived). */
  async wasRefused(operation: "publish" | "subscription", subject: string): Promise<boolean> {
    await this.nc.flush();
    await new Promise((resolve) => setTimeout(resolve, 50));
    return this.refusals.some((r) => r.operation === operation && r.subject === subject);
  }

  close(): Promise<void> {
    return this.nc.isClosed() ? Promise.resolve() : this.nc.close();
  }

  private async watch(): Promise<void> {
    for await (const status of this.nc.status()) {
      const context = (status as { permissionContext?: PermissionRefusal }).permissionContext;
      if (status.type === "error" && status.data === "PERMISSIONS_VIOLATION" && context)
        this.refusals.push({ operation: context.operation, subject: context.subject });
    }
  }
}
