import { spawn } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { createInterface } from "node:readline";
import type { InfraLog } from "./log.js";

export type ServerBinary = "nats-server" | "redis-server" | "prometheus";

/** Debian/Ubuntu package that ships each binary. */
const debianPackage: Record<ServerBinary, string> = {
  "nats-server": "nats-server",
  "redis-server": "redis-server",
  prometheus: "prometheus",
};

const installHint = "install nats-server 2.9+ (https://nats.io) and redis-server 7+, or set NATS_URL / REDIS_URL";
const prometheusHint = "install prometheus 2.x (Debian's prometheus package, or https://prometheus.io/download)";

/** A server binary is missing and could not be installed here; the message says what to install. */
export class MissingBinaryError extends Error {
  constructor(
    readonly binary: ServerBinary,
    reason: string,
  ) {
    super(`${binary} not found (${reason}): ${binary === "prometheus" ? prometheusHint : installHint}`);
    this.name = "MissingBinaryError";
  }
}

// Debian puts nats-server in /usr/sbin, which is not on every user's PATH.
const extraDirs = ["/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin"];

/** Absolute path of an executable `name` on `searchPath` or the usual system folders. */
export function findBinary(name: string, searchPath = process.env.PATH ?? ""): string | undefined {
  const dirs = [...searchPath.split(delimiter).filter((dir) => dir !== ""), ...extraDirs];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface EnsureBinaryOptions {
  /** Try apt-get when missing (only on Debian/Ubuntu as root). Default true. */
  autoInstall?: boolean;
}

/**
 * The path of `name`, installing its Debian package first when it is missing and we can:
 * CI machines start fresh, so the project installs what it needs itself.
 */
export async function ensureBinary(
  name: ServerBinary,
  log: InfraLog,
  options: EnsureBinaryOptions = {},
): Promise<string> {
  const found = findBinary(name);
  if (found !== undefined) return found;
  if (options.autoInstall === false) throw new MissingBinaryError(name, "automatic install disabled");
  if (!existsSync("/etc/debian_version"))
    throw new MissingBinaryError(name, "not a Debian/Ubuntu system, cannot apt-get it");
  if (process.getuid?.() !== 0) throw new MissingBinaryError(name, "not root, cannot apt-get it");
  await aptInstall(debianPackage[name], log);
  const installed = findBinary(name);
  if (installed === undefined)
    throw new MissingBinaryError(name, `apt-get installed ${debianPackage[name]} but no ${name} appeared`);
  log.info({ binary: name, path: installed }, "installed");
  return installed;
}

// apt holds a lock: installs run one after another, and the package lists are refreshed once.
let aptQueue: Promise<unknown> = Promise.resolve();
let listsUpdated = false;

function aptInstall(pkg: string, log: InfraLog): Promise<void> {
  const run = aptQueue.then(async () => {
    if (!listsUpdated) {
      await runApt(["update"], log);
      listsUpdated = true;
    }
    await runApt(["install", "-y", "--no-install-recommends", pkg], log);
  });
  aptQueue = run.catch(() => undefined);
  return run;
}

function runApt(args: string[], log: InfraLog): Promise<void> {
  const command = `apt-get ${args.join(" ")}`;
  log.info({ command }, "running");
  return new Promise((resolve, reject) => {
    const child = spawn("apt-get", args, {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const tail: string[] = [];
    const onLine = (line: string) => {
      if (line.trim() === "") return;
      tail.push(line);
      if (tail.length > 20) tail.shift();
      log.info({ command: `apt-get ${args[0]}` }, line);
    };
    createInterface({ input: child.stdout }).on("line", onLine);
    createInterface({ input: child.stderr }).on("line", onLine);
    child.once("error", (error) => reject(new Error(`${command}: ${error.message}; ${installHint}`)));
    child.once("close", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} exited with code ${code}:\n${tail.join("\n")}\n${installHint}`));
    });
  });
}
