import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Argv } from "yargs";
import { z } from "zod";
import { parseConfig } from "#config";
import { AdminClient } from "../keys/admin-client.js";
import { writeCredsFile } from "./creds-file.js";
import {
  credentialsTable,
  issuedSummary,
  parseExpiresIn,
  revokedSummary,
  type CredentialView,
  type ListedCredential,
} from "./device-output.js";

/** The only variables `specfleet devices` reads (the same as `specfleet keys`). */
const devicesEnvSchema = z.object({
  SPECFLEET_ADMIN_TOKEN: z.string().min(1).optional(),
  SPECFLEET_GATEWAY: z.string().url().optional(),
});

/** What the commands reach out to; tests give fakes. */
export interface DevicesIo {
  client(gateway: string, adminToken: string | undefined): Pick<AdminClient, "call">;
  out(text: string): void;
  fail(message: string): void;
}

const processIo: DevicesIo = {
  client: (gateway, adminToken) => new AdminClient(gateway, adminToken),
  out: (text) => process.stdout.write(text),
  fail: (message) => {
    process.stderr.write(`specfleet devices: ${message}\n`);
    process.exitCode = 1;
  },
};

interface ClientArgs {
  gateway: string;
  adminToken: string | undefined;
  json: boolean;
}

/** `specfleet devices …`: device NATS credentials through the gateway's admin API (the registry signs them). */
export function devicesCommands(yargs: Argv, io: DevicesIo = processIo, env = process.env): Argv {
  const vars = parseConfig(devicesEnvSchema, env);
  const run = (task: () => Promise<void>) => task().catch((error: unknown) => io.fail(messageOf(error)));
  const client = (args: ClientArgs) => io.client(args.gateway, args.adminToken);
  const print = (value: unknown) => io.out(`${JSON.stringify(value, null, 2)}\n`);
  return yargs
    .option("gateway", {
      type: "string",
      default: vars.SPECFLEET_GATEWAY ?? "http://127.0.0.1:8080",
      describe: "The gateway's URL [env SPECFLEET_GATEWAY]",
    })
    .option("admin-token", {
      type: "string",
      default: vars.SPECFLEET_ADMIN_TOKEN,
      defaultDescription: "env SPECFLEET_ADMIN_TOKEN",
      describe: "The gateway's GATEWAY_ADMIN_TOKEN, when it has one",
    })
    .option("json", { type: "boolean", default: false, describe: "Print the admin API's JSON answer (never a secret)" })
    .command(
      "issue <device-id>",
      "Issue a device its NATS credential into a .creds file (0600); a device that has one gets a new one and the old one is revoked",
      (y) =>
        y
          .positional("device-id", { type: "string", demandOption: true, describe: "The device's WORKER_ID" })
          .option("role", { choices: ["drafter", "verifier"] as const, demandOption: true, describe: "What it runs" })
          .option("expires-in", {
            type: "string",
            describe: "It stops working by itself after this: seconds, or 90m, 12h, 30d, 2w [default: until revoked]",
          })
          .option("note", { type: "string", describe: "Where the device is, who runs it (shown in the list)" })
          .option("out", { type: "string", describe: "Where to write the .creds file [default: ./<device-id>.creds]" })
          .option("force", { type: "boolean", default: false, describe: "Replace the file if it exists" })
          .example(
            "$0 devices issue jetson-7 --role drafter --expires-in 30d --note 'lab bench'",
            "a drafter's credential",
          )
          .example(
            "$0 devices issue gpu-2 --role verifier --out /secure/gpu-2.creds",
            "a verifier's, written elsewhere",
          ),
      (args) =>
        run(async () => {
          const expiresInS = args.expiresIn === undefined ? undefined : parseExpiresIn(args.expiresIn);
          const path = resolve(args.out ?? `${args.deviceId}.creds`);
          checkWritable(path, args.force);
          const issued = await client(args).call<CredentialView & { creds: string }>("POST", "/admin/credentials", {
            device_id: args.deviceId,
            role: args.role,
            ...(expiresInS === undefined ? {} : { expires_in_s: expiresInS }),
            ...(args.note === undefined ? {} : { note: args.note }),
          });
          const { creds, ...credential } = issued;
          let written: string;
          try {
            written = writeCredsFile(path, creds, args.force);
          } catch (error) {
            throw new Error(
              `the credential was issued (${credential.public_key}) but could not be written: ${messageOf(error)}; issue it again`,
            );
          }
          if (args.json) print({ ...credential, creds_file: written });
          else io.out(issuedSummary(credential, written));
        }),
    )
    .command(
      "list",
      "Every device credential issued, revoked ones included (never a secret), and whether the device is in the fleet",
      (y) => y,
      (args) =>
        run(async () => {
          const list = await client(args).call<{ data: ListedCredential[] }>("GET", "/admin/credentials");
          if (args.json) print(list);
          else io.out(credentialsTable(list.data));
        }),
    )
    .command(
      "revoke <device-id>",
      "Revoke a device's credential: NATS cuts it off within seconds and its sessions move elsewhere",
      (y) =>
        y
          .positional("device-id", { type: "string", demandOption: true, describe: "The device's WORKER_ID" })
          .option("reason", { type: "string", describe: "Why (kept in the list)" })
          .example("$0 devices revoke jetson-7 --reason 'device stolen'", "cut a device off"),
      (args) =>
        run(async () => {
          const revoked = await client(args).call<CredentialView>(
            "DELETE",
            `/admin/credentials/${encodeURIComponent(args.deviceId)}`,
            args.reason === undefined ? undefined : { reason: args.reason },
          );
          if (args.json) print(revoked);
          else io.out(revokedSummary(revoked));
        }),
    )
    .demandCommand(1, "Say what to do with device credentials: issue, list or revoke");
}

/** Before asking for a credential (which rotates the device's old one): will its file be writable? */
function checkWritable(path: string, force: boolean): void {
  if (existsSync(path) && !force) throw new Error(`${path} exists: give --force to replace it, or --out another file`);
  const folder = dirname(path);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new Error(`${folder} is not a folder`);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
