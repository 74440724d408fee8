import { accessSync, constants } from "node:fs";
import { resolve } from "node:path";
import type { Argv } from "yargs";
import pino from "pino";
import { isLoopbackHost } from "#config";
import { isModelUri, modelNameFromLocation, resolveModelLocation } from "#llama";
import { connectNats, NatsCredentialError, type NatsEndpoint } from "#transport";
import { writeProgress } from "../model/write-progress.js";
import { readDeviceCredential, type DeviceCredential } from "./device-credential.js";
import { checkJoinUrl, drafterEnv } from "./drafter-env.js";

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

/** `specfleet join`'s flags. */
export function joinOptions(yargs: Argv) {
  return yargs
    .usage(
      "$0 join --url <URL> --credentials <file> --model <gguf | hf: URI>\n\n" +
        "Run a drafter on this device for a SpecFleet: it registers with the fleet, times its own drafting, and " +
        "serves until Ctrl-C (it then leaves the fleet, and its sessions continue elsewhere).",
    )
    .option("url", {
      type: "string",
      demandOption: true,
      describe:
        "The fleet's NATS: wss://host[:port] (WebSocket, through proxies and NAT), tls://host:port, or nats:// (a leaf node on this device)",
    })
    .option("credentials", {
      type: "string",
      demandOption: true,
      describe: "This device's .creds file, from an operator's `specfleet devices issue <device-id> --role drafter`",
    })
    .option("model", {
      type: "string",
      demandOption: true,
      describe: "The draft model: a GGUF file or an hf:owner/repo/file.gguf URI (downloaded once into --model-cache)",
    })
    .option("ca", {
      type: "string",
      describe: "The CA file that signed the fleet's certificate, when it is a private one",
    })
    .option("threads", { type: "number", describe: "CPU threads for the model [default: the worker's THREADS, 1]" })
    .option("max-sessions", {
      type: "number",
      describe: "Sessions drafted at once [default: the worker's MAX_SESSIONS, 8]",
    })
    .option("device-class", {
      type: "string",
      describe: "What this device is, for the fleet's view (laptop, jetson...) [default: cpu]",
    })
    .option("model-cache", { type: "string", default: ".cache/models", describe: "Where hf: models are downloaded" })
    .option("log-level", {
      choices: LOG_LEVELS,
      default: "warn" as const,
      describe: "The drafter's own log lines (JSON, on stdout)",
    })
    .check((args) => {
      const counts: Array<[string, number | undefined]> = [
        ["--threads", args.threads as number | undefined],
        ["--max-sessions", args.maxSessions as number | undefined],
      ];
      for (const [flag, value] of counts)
        if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > 256))
          throw new Error(`${flag} ${value}: give a whole number from 1 to 256`);
      return true;
    })
    .example(
      "$0 join --url wss://fleet.example.com --credentials ./jetson-7.creds --model hf:owner/repo/draft.gguf",
      "join over WebSocket",
    )
    .example(
      "$0 join --url tls://10.0.0.5:4222 --credentials jetson-7.creds --ca ca.pem --model ./draft.gguf --threads 4",
      "join over TCP with a private CA",
    );
}

type JoinArgs = Awaited<ReturnType<ReturnType<typeof joinOptions>["parseAsync"]>>;

/**
 * Joins this device to a fleet as a drafter: checks its flags and credential, reaches the fleet
 * once with it (a refused credential stops here, before a long download), fetches the model, then
 * boots the draft worker in this process with the environment it takes (services/draft-worker),
 * under the identity the credential names. Prints one line once it serves.
 */
export async function joinCommand(args: JoinArgs): Promise<void> {
  try {
    const url = checkJoinUrl(args.url);
    warnIfClear(url);
    const credential = await readDeviceCredential(args.credentials);
    const caFile = args.ca === undefined ? undefined : readableFile(args.ca, "--ca");
    await reachFleet({ url, credsFile: credential.file, tlsCaFile: caFile }, credential);
    const modelCacheDir = resolve(args.modelCache);
    const modelPath = await fetchModel(args.model, modelCacheDir);
    const modelName = modelNameFromLocation(args.model);
    const env = drafterEnv({
      url,
      credential,
      modelPath,
      modelName,
      modelCacheDir,
      caFile,
      threads: args.threads,
      maxSessions: args.maxSessions,
      deviceClass: args.deviceClass,
      logLevel: args.logLevel,
    });
    // The worker reads its configuration from the environment, like every actor (libs/config).
    Object.assign(process.env, env);
    process.stderr.write(`loading ${modelName} and timing this device's drafting…\n`);
    await import(new URL("../../services/draft-worker/src/main.js", import.meta.url).href);
    process.stdout.write(
      `joined ${url} as drafter ${credential.identity} (${modelName}): serving; Ctrl-C leaves the fleet\n`,
    );
  } catch (error) {
    process.stderr.write(`specfleet join: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

/** Beyond loopback, `nats://` and `ws://` carry prompts and drafts in clear (docs/security.md, TLS). */
function warnIfClear(url: string): void {
  const { protocol, hostname } = new URL(url);
  if ((protocol === "nats:" || protocol === "ws:") && !isLoopbackHost(hostname.replace(/^\[(.*)\]$/, "$1")))
    process.stderr.write(
      `warning: ${url} is not encrypted: prompts and drafts cross the network in clear; use wss:// or tls://\n`,
    );
}

function readableFile(path: string, flag: string): string {
  const file = resolve(path);
  try {
    accessSync(file, constants.R_OK);
  } catch (error) {
    throw new Error(`${flag} ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return file;
}

/** One connection with the credential, closed at once: the fleet accepts it, or join says why not. */
async function reachFleet(endpoint: NatsEndpoint, credential: DeviceCredential): Promise<void> {
  process.stderr.write(`connecting to ${endpoint.url} as ${credential.identity}…\n`);
  const hint = setTimeout(
    () =>
      process.stderr.write(
        `still trying to reach ${endpoint.url}: check the URL, this device's network and, for a private CA, --ca\n`,
      ),
    10_000,
  );
  try {
    const nc = await connectNats(endpoint, credential.identity, pino({ level: "silent" }), () => undefined);
    await nc.close();
  } catch (error) {
    if (error instanceof NatsCredentialError)
      throw new Error(
        `the fleet at ${endpoint.url} refused ${credential.file} (${credential.identity}): revoked, expired or ` +
          "for another fleet; ask its operator for a new one (`specfleet devices issue <device-id> --role drafter`)",
      );
    throw error;
  } finally {
    clearTimeout(hint);
  }
}

/** The model's local file; an hf: URI is downloaded (once) with a progress line. */
async function fetchModel(location: string, cacheDir: string): Promise<string> {
  if (!isModelUri(location)) return resolveModelLocation(location, cacheDir);
  const progress = writeProgress(`downloading ${modelNameFromLocation(location)}`);
  try {
    return await resolveModelLocation(location, cacheDir, {
      onProgress: ({ downloadedBytes, totalBytes }) =>
        progress.update({
          tensor: "",
          tensorsDone: 0,
          tensorsTotal: 0,
          bytesDone: downloadedBytes,
          bytesTotal: totalBytes,
        }),
    });
  } finally {
    progress.stop();
  }
}
