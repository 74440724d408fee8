import { spawn } from "node:child_process";
import { join } from "node:path";
import { projectRoot } from "#infra";

/** podman's configuration for this repo (runc, no default ulimits: scripts/container/containers.conf). */
export const CONTAINERS_CONF = join(projectRoot(), "scripts", "container", "containers.conf");

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A command run to its end, its output kept (the last 64 KiB of each stream). */
export function run(
  command: string,
  args: readonly string[],
  options: { timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, CONTAINERS_CONF },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: options.timeoutMs ?? 120_000,
    });
    const keep = (sink: { text: string }) => (chunk: Buffer) => {
      sink.text = (sink.text + chunk.toString("utf8")).slice(-65_536);
    };
    const out = { text: "" };
    const err = { text: "" };
    child.stdout.on("data", keep(out));
    child.stderr.on("data", keep(err));
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, stdout: out.text, stderr: err.text }));
  });
}

/** `podman …`, rejecting with its error output when it fails. */
export async function podman(args: readonly string[], timeoutMs?: number): Promise<string> {
  const result = await run("podman", args, { timeoutMs });
  if (result.status !== 0)
    throw new Error(`podman ${args.slice(0, 3).join(" ")} … exited ${result.status}: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** A script of scripts/container/ (bash), rejecting with the tail of its output when it fails. */
export async function containerScript(name: string, args: readonly string[], timeoutMs: number): Promise<string> {
  const result = await run("bash", [join(projectRoot(), "scripts", "container", name), ...args], { timeoutMs });
  if (result.status !== 0)
    throw new Error(`${name} exited ${result.status}:\n${(result.stdout + result.stderr).slice(-4000)}`);
  return result.stdout;
}

export async function imageExists(name: string): Promise<boolean> {
  return (await run("podman", ["image", "exists", name])).status === 0;
}
