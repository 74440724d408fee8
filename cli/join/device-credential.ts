import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseCreds } from "@nats-io/jwt";

/** What `specfleet join` learns from a device's `.creds` file (never its seed). */
export interface DeviceCredential {
  /** Absolute path of the file. */
  file: string;
  /** The identity the credential names (its JWT `name`): the drafter's WORKER_ID. */
  identity: string;
  /** The role the fleet's authority bound it to (its JWT tag `role:<role>`); null when it has none. */
  role: string | null;
  publicKey: string;
  /** Milliseconds since the epoch; null: until revoked. */
  expiresAt: number | null;
}

/** A credential `specfleet join` cannot use, with what to do about it. */
export class JoinCredentialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JoinCredentialError";
  }
}

const HOW_TO_GET_ONE = "an operator makes one with `specfleet devices issue <device-id> --role drafter`";

/** WORKER_ID's rule (libs/config `worker`): an identity outside it cannot name a worker. */
const WORKER_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Reads and checks a device's `.creds` file: readable, a NATS user credential, a drafter's, not expired. */
export async function readDeviceCredential(path: string, now = Date.now()): Promise<DeviceCredential> {
  const file = resolve(path);
  let content: Buffer;
  try {
    content = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new JoinCredentialError(`--credentials ${file}: cannot read it (${code}); ${HOW_TO_GET_ONE}`);
  }
  let claims: Awaited<ReturnType<typeof parseCreds>>["uc"];
  try {
    claims = (await parseCreds(content)).uc;
  } catch (error) {
    throw new JoinCredentialError(
      `--credentials ${file}: not a NATS .creds file (${error instanceof Error ? error.message : String(error)}); ` +
        HOW_TO_GET_ONE,
    );
  }
  const credential = credentialOf(file, claims);
  checkUsable(credential, now);
  return credential;
}

function credentialOf(file: string, claims: { name?: string; sub: string; exp?: number; nats?: unknown }) {
  const tags = ((claims.nats as { tags?: readonly string[] } | undefined)?.tags ?? []).map(String);
  const roleTag = tags.find((tag) => tag.startsWith("role:"));
  return {
    file,
    identity: claims.name ?? "",
    role: roleTag === undefined ? null : roleTag.slice("role:".length),
    publicKey: claims.sub,
    expiresAt: claims.exp === undefined ? null : claims.exp * 1000,
  };
}

function checkUsable(credential: DeviceCredential, now: number): void {
  const { file, identity, role } = credential;
  if (role !== "drafter")
    throw new JoinCredentialError(
      `--credentials ${file}: ${role === null ? "a credential without a fleet role" : `a ${role}'s credential`} ` +
        `(${identity || "unnamed"}); an edge device joins as a drafter: ${HOW_TO_GET_ONE}`,
    );
  if (!WORKER_ID.test(identity))
    throw new JoinCredentialError(
      `--credentials ${file}: it names '${identity}', which cannot be a worker's id ` +
        `(letters, digits, '-' or '_', at most 64); ${HOW_TO_GET_ONE}`,
    );
  if (credential.expiresAt !== null && credential.expiresAt <= now)
    throw new JoinCredentialError(
      `--credentials ${file}: ${identity}'s credential expired at ${new Date(credential.expiresAt).toISOString()}; ` +
        HOW_TO_GET_ONE,
    );
}
