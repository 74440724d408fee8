import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { projectRoot, ManagedProcess, type LocalFleet } from "#infra";

const run = promisify(execFile);
const CLI = join(projectRoot(), "dist", "cli", "specfleet.js");

/** `specfleet <args…>` as an operator runs it; resolves with its output, rejects on a non-zero exit. */
export async function specfleet(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [CLI, ...args], { cwd, env: { PATH: process.env.PATH ?? "" } });
}

/** `specfleet devices <args…> --gateway <the fleet's>`: the operator's side of a device credential. */
export function devicesCli(fleet: LocalFleet, cwd: string, ...args: string[]) {
  return specfleet(["devices", ...args, "--gateway", fleet.gatewayUrl], cwd);
}

/**
 * `specfleet join …` as a device runs it: its own process, its output in
 * `.cache/test-logs/<logName>/<name>.log`. Extra variables (WINDOW…) reach the drafter it boots.
 */
export function startJoin(
  name: string,
  logName: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<ManagedProcess> {
  return ManagedProcess.start({
    name,
    command: process.execPath,
    args: [CLI, "join", ...args],
    cwd: projectRoot(),
    env: { ...process.env, ...env },
    output: { logFile: join(projectRoot(), ".cache", "test-logs", logName, `${name}.log`) },
  });
}

/** The line `specfleet join` prints once its drafter serves. */
export const SERVING = /^joined .* as drafter .*: serving/;

/** Until the gateway's /readyz lists `drafterId` and the scheduler places with a drafter. */
export async function drafterPlaceable(gatewayUrl: string, drafterId: string): Promise<void> {
  for (;;) {
    const body = (await (await fetch(`${gatewayUrl}/readyz`)).json()) as {
      drafters?: Array<{ id: string }>;
      scheduler_models?: Array<{ drafters: number }>;
    };
    const listed = (body.drafters ?? []).some((d) => d.id === drafterId);
    if (listed && (body.scheduler_models ?? []).some((m) => m.drafters > 0)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Until the gateway's /readyz no longer lists `drafterId` as a live drafter. */
export async function drafterGone(gatewayUrl: string, drafterId: string): Promise<void> {
  for (;;) {
    const body = (await (await fetch(`${gatewayUrl}/readyz`)).json()) as { drafters?: Array<{ id: string }> };
    if (!(body.drafters ?? []).some((d) => d.id === drafterId)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
