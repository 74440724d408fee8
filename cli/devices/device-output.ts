import { basename } from "node:path";
import { table } from "../keys/key-output.js";

/** A device credential as the admin API answers (services/gateway/src/admin/credentials/credential-schemas.ts). */
export interface CredentialView {
  device_id: string;
  role: "drafter" | "verifier";
  public_key: string;
  status: "active" | "expired" | "revoked";
  issued_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  revoked_reason: string | null;
  note: string | null;
}

export interface ListedCredential extends CredentialView {
  /** Where the device stands in the fleet now; null: not registered. */
  device: { state: string; draining: boolean; last_seen_at: number } | null;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * `--expires-in`: seconds as a number, or a number with a unit (`90s`, `45m`, `12h`, `30d`, `2w`);
 * throws a message naming the option for anything else.
 */
export function parseExpiresIn(value: string): number {
  const match = /^\s*(\d+)\s*([smhdw]?)\s*$/i.exec(value);
  const seconds = match ? Number(match[1]) * UNITS[(match[2] || "s").toLowerCase()]! : NaN;
  if (!Number.isSafeInteger(seconds) || seconds <= 0)
    throw new Error(`--expires-in '${value}': give a positive duration such as 3600, 90m, 12h, 30d or 2w`);
  return seconds;
}

const when = (seconds: number) => new Date(seconds * 1000).toISOString().replace("T", " ").slice(0, 16);

/** A public nkey is 56 characters: its start is enough to tell keys apart in a table. */
const shortKey = (key: string) => (key.length > 13 ? `${key.slice(0, 12)}…` : key);

function statusOf(c: CredentialView): string {
  if (c.status === "revoked") return `revoked ${when(c.revoked_at!)}`;
  return c.status;
}

function fleetOf(c: ListedCredential): string {
  if (c.device === null) return "not registered";
  return c.device.draining && c.device.state !== "draining" ? `${c.device.state}, draining` : c.device.state;
}

/** `specfleet devices list`: one row per credential, newest first as the authority lists them. */
export function credentialsTable(credentials: ListedCredential[]): string {
  if (credentials.length === 0)
    return "no device credentials issued (issue one with `specfleet devices issue <device-id> --role drafter`)\n";
  return table(
    ["DEVICE", "ROLE", "STATUS", "ISSUED (UTC)", "EXPIRES (UTC)", "IN THE FLEET", "PUBLIC KEY", "NOTE / REASON"],
    credentials.map((c) => [
      c.device_id,
      c.role,
      statusOf(c),
      when(c.issued_at),
      c.expires_at === null ? "never" : when(c.expires_at),
      fleetOf(c),
      shortKey(c.public_key),
      (c.status === "revoked" ? c.revoked_reason : c.note) ?? "",
    ]),
  );
}

/** What `specfleet devices issue` prints: where the secret went, never the secret. */
export function issuedSummary(credential: CredentialView, credsPath: string): string {
  return [
    `wrote ${credsPath} (mode 0600): the device's NATS credential, shown nowhere else`,
    `device      ${credential.device_id} (${credential.role})`,
    `public key  ${credential.public_key}`,
    `expires     ${credential.expires_at === null ? "never (until revoked)" : `${when(credential.expires_at)} UTC`}`,
    "",
    credential.role === "drafter"
      ? `Copy it to the device and run: npx specfleet join --url <the fleet's NATS or wss:// URL> --credentials ${basename(credsPath)} --model <draft model>`
      : `Copy it to the device and start its worker with NATS_CREDS=<that file> and WORKER_ID=${credential.device_id}.`,
    "",
  ].join("\n");
}

/** What `specfleet devices revoke` prints. */
export function revokedSummary(credential: CredentialView): string {
  return (
    `revoked ${credential.device_id} (${credential.role}, ${shortKey(credential.public_key)}): ` +
    `NATS cut its connections; reason: ${credential.revoked_reason ?? "none given"}\n`
  );
}
