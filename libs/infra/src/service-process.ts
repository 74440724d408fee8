import { existsSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "./paths.js";
import { ManagedProcess, type ProcessOutput } from "./processes.js";

export type ServiceActor = "registry" | "scheduler" | "gateway" | "dashboard" | "verify-worker" | "draft-worker";

/** The compiled entry point of a service. */
export function serviceEntry(actor: ServiceActor, root = projectRoot()): string {
  return join(root, "dist", "services", actor, "src", "main.js");
}

export interface StartServiceOptions {
  /** Defaults to the actor; workers use their WORKER_ID. */
  name?: string;
  /** Variables set on top of this process's environment. */
  env: Record<string, string>;
  root?: string;
  output?: ProcessOutput;
}

/** `node dist/services/<actor>/src/main.js` as a managed child process. */
export async function startService(actor: ServiceActor, options: StartServiceOptions): Promise<ManagedProcess> {
  const root = options.root ?? projectRoot();
  const entry = serviceEntry(actor, root);
  if (!existsSync(entry)) throw new Error(`${entry} not found: build first with \`npx tsc -p .\``);
  return ManagedProcess.start({
    name: options.name ?? actor,
    command: process.execPath,
    args: [entry],
    cwd: root,
    env: { ...process.env, ...options.env },
    output: options.output,
  });
}
