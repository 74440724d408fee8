import type { Argv } from "yargs";
import { z } from "zod";
import { parseConfig } from "#config";
import { AdminClient } from "./admin-client.js";
import { keyDetails, keysTable, usageTable, type KeyUsageView, type KeyView } from "./key-output.js";

/** The only variables `specfleet keys` reads. */
const keysEnvSchema = z.object({
  SPECFLEET_ADMIN_TOKEN: z.string().min(1).optional(),
  SPECFLEET_GATEWAY: z.string().url().optional(),
});

interface ClientArgs {
  gateway: string;
  adminToken: string | undefined;
}

/** `specfleet keys …`: API keys through the gateway's admin API. */
export function keysCommands(yargs: Argv): Argv {
  const env = parseConfig(keysEnvSchema, process.env);
  return yargs
    .option("gateway", {
      type: "string",
      default: env.SPECFLEET_GATEWAY ?? "http://127.0.0.1:8080",
      describe: "The gateway's URL [env SPECFLEET_GATEWAY]",
    })
    .option("admin-token", {
      type: "string",
      default: env.SPECFLEET_ADMIN_TOKEN,
      defaultDescription: "env SPECFLEET_ADMIN_TOKEN",
      describe: "The gateway's GATEWAY_ADMIN_TOKEN, when it has one",
    })
    .option("json", { type: "boolean", default: false, describe: "Print the admin API's JSON answer" })
    .command(
      "create <name>",
      "Create an API key; its secret (and webhook signing secret) are printed this once only",
      (y) =>
        y
          .positional("name", { type: "string", demandOption: true, describe: "What the key is for" })
          .option("rpm", { type: "number", describe: "Requests per minute [default: no limit]" })
          .option("tpm", { type: "number", describe: "Tokens per minute, prompt + completion [default: no limit]" })
          .option("concurrent", { type: "number", describe: "Requests at once [default: no limit]" })
          .option("job-priority", {
            type: "number",
            default: 0,
            describe: "Added to the priority of its jobs' requests (lower is served first; positive: a lower share)",
          })
          .option("priority-min", { type: "number", default: 0, describe: "Lowest `priority` its requests may ask" })
          .option("priority-max", {
            type: "number",
            default: 1000,
            describe: "Highest `priority` its requests may ask",
          })
          .example("$0 keys create ci --rpm 60 --tpm 20000 --concurrent 4", "a limited key for CI")
          .example("$0 keys create ops --priority-min -1000", "an operator's key that may jump the queue"),
      (args) =>
        run(async () => {
          const created = await client(args).call<KeyView & { secret: string; webhook_secret: string }>(
            "POST",
            "/admin/keys",
            {
              name: args.name,
              limits: {
                ...(args.rpm === undefined ? {} : { requests_per_minute: args.rpm }),
                ...(args.tpm === undefined ? {} : { tokens_per_minute: args.tpm }),
                ...(args.concurrent === undefined ? {} : { concurrent_requests: args.concurrent }),
              },
              job_priority: args.jobPriority,
              priority_range: { min: args.priorityMin, max: args.priorityMax },
            },
          );
          if (args.json) return print(created);
          process.stdout.write(
            `${keyDetails(created)}\nsecret         ${created.secret}\nwebhook secret ${created.webhook_secret}\n\n` +
              "Keep both now: they are not shown again (only their hash is stored). Use the key as\n" +
              "  Authorization: Bearer <secret>   (OpenAI clients: apiKey / OPENAI_API_KEY)\n",
          );
        }),
    )
    .command(
      "list",
      "Every API key (never their secrets)",
      (y) => y,
      (args) =>
        run(async () => {
          const list = await client(args).call<{ data: KeyView[] }>("GET", "/admin/keys");
          if (args.json) print(list);
          else process.stdout.write(keysTable(list.data));
        }),
    )
    .command(
      "show <id>",
      "One API key, with its usage",
      (y) => y.positional("id", { type: "string", demandOption: true, describe: "The key's id (key_…)" }),
      (args) =>
        run(async () => {
          const key = await client(args).call<KeyView & { usage: KeyUsageView }>("GET", `/admin/keys/${id(args.id)}`);
          if (args.json) return print(key);
          process.stdout.write(`${keyDetails(key)}\n${usageTable(key.usage)}`);
        }),
    )
    .command(
      "revoke <id>",
      "Revoke an API key for good (every gateway refuses it within a couple of seconds)",
      (y) => y.positional("id", { type: "string", demandOption: true, describe: "The key's id (key_…)" }),
      (args) =>
        run(async () => {
          const key = await client(args).call<KeyView>("POST", `/admin/keys/${id(args.id)}/revoke`);
          if (args.json) print(key);
          else process.stdout.write(`revoked ${key.id} (${key.name}, ${key.display})\n`);
        }),
    )
    .command(
      "usage <id>",
      "An API key's usage: requests and tokens per UTC day, and in total",
      (y) =>
        y
          .positional("id", { type: "string", demandOption: true, describe: "The key's id (key_…)" })
          .option("days", { type: "number", default: 31, describe: "Days back, today included" }),
      (args) =>
        run(async () => {
          const usage = await client(args).call<KeyUsageView>(
            "GET",
            `/admin/keys/${id(args.id)}/usage?days=${args.days}`,
          );
          if (args.json) print(usage);
          else process.stdout.write(usageTable(usage));
        }),
    )
    .demandCommand(1, "Say what to do with keys: create, list, show, revoke or usage");
}

function client(args: ClientArgs): AdminClient {
  return new AdminClient(args.gateway, args.adminToken);
}

function id(value: string): string {
  return encodeURIComponent(value);
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

async function run(task: () => Promise<void>): Promise<void> {
  try {
    await task();
  } catch (error) {
    process.stderr.write(`specfleet keys: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
