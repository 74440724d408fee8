import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { createUser, fmtCreds, parseCreds } from "@nats-io/jwt";
import { CredentialEnroll, type DeviceRole, type ReplyOf } from "#contracts";
import type { Logger } from "#logging";
import { ContractBus, NoResponderError, RequestTimeoutError, type NatsEndpoint } from "#transport";

/** How long a worker keeps asking a registry that is not answering yet (a fleet starting together). */
const ENROLL_PATIENCE_MS = 120_000;
const ENROLL_REQUEST_MS = 5000;

/** A worker's enrollment failed: the reason names NATS_ENROLL_CREDS and what to fix. */
export class EnrollmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EnrollmentError";
  }
}

/**
 * A worker pod's own NATS credential (NATS_ENROLL_CREDS, docs/security.md): it connects as its
 * enrollment identity, makes a key pair, sends the registry only the public key, and gets back
 * the user JWT for `workerId` in the enroller's role. The seed never leaves this process: the
 * endpoint returned carries the credential in memory, and nothing is written to disk.
 */
export async function enroll(
  endpoint: NatsEndpoint,
  enrollCredsFile: string,
  workerId: string,
  role: DeviceRole,
  log: Logger,
): Promise<NatsEndpoint> {
  const enroller = await enrollerOf(enrollCredsFile);
  let bus: ContractBus;
  try {
    bus = await ContractBus.connect({ ...endpoint, credsFile: enrollCredsFile, creds: undefined }, enroller, log);
  } catch (error) {
    throw new EnrollmentError(
      `NATS_ENROLL_CREDS=${enrollCredsFile}: NATS refused the enrollment credential (${String(error)})`,
    );
  }
  try {
    const user = createUser();
    const reply = await askPatiently(bus, { workerId, publicKey: user.getPublicKey() }, log);
    if (!reply.ok)
      throw new EnrollmentError(
        `NATS_ENROLL_CREDS (${enroller}) could not enroll '${workerId}': ${reply.error.message}`,
      );
    if (reply.credential.role !== role)
      throw new EnrollmentError(
        `NATS_ENROLL_CREDS (${enroller}) enrolls ${reply.credential.role}s, and this worker is a ${role}: ` +
          `give it the enroll-${role} credential`,
      );
    log.info({ enroller, role: reply.credential.role, publicKey: reply.credential.publicKey }, "enrolled");
    return {
      ...endpoint,
      credsFile: undefined,
      creds: new TextDecoder().decode(fmtCreds(reply.jwt, user)),
    };
  } finally {
    await bus.drain().catch(() => undefined);
  }
}

/** The identity a `.creds` file names (its user JWT's name): what the connection speaks as. */
async function enrollerOf(file: string): Promise<string> {
  let text: Buffer;
  try {
    text = readFileSync(file);
  } catch (error) {
    throw new EnrollmentError(
      `NATS_ENROLL_CREDS=${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  try {
    const { uc } = await parseCreds(text);
    if (typeof uc.name !== "string" || uc.name === "") throw new Error("its user has no name");
    return uc.name;
  } catch (error) {
    throw new EnrollmentError(`NATS_ENROLL_CREDS=${file}: not a NATS .creds file (${String(error)})`);
  }
}

/** Asks until the registry answers (it may start after this worker), for ENROLL_PATIENCE_MS at most. */
async function askPatiently(
  bus: ContractBus,
  request: { workerId: string; publicKey: string },
  log: Logger,
): Promise<ReplyOf<typeof CredentialEnroll>> {
  const deadline = Date.now() + ENROLL_PATIENCE_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await bus.request(CredentialEnroll, "", request, ENROLL_REQUEST_MS);
    } catch (error) {
      const waiting = error instanceof NoResponderError || error instanceof RequestTimeoutError;
      if (!waiting || Date.now() > deadline) throw error;
      if (attempt === 1) log.info({}, "waiting for the registry to enroll this worker");
      await sleep(Math.min(250 * attempt, 2000));
    }
  }
}
