import { spawn } from "node:child_process";
import { acceptsConnections } from "#infra";
import type { Probe } from "./manifests.js";

/** How the harness runs an exec probe or hook: the container's argv and environment on this machine. */
export type ExecInContainer = (command: string[], timeoutMs: number) => Promise<number | null>;

/**
 * One attempt of a probe as the kubelet makes it: httpGet to the pod's port (2xx/3xx passes),
 * tcpSocket (a connection passes), exec (exit 0 passes). `portOf` gives a container port's
 * loopback port.
 */
export async function probeOnce(probe: Probe, portOf: (port: number | string) => number, exec: ExecInContainer) {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.httpGet) {
    const scheme = (probe.httpGet.scheme ?? "HTTP").toLowerCase();
    const url = `${scheme}://127.0.0.1:${portOf(probe.httpGet.port)}${probe.httpGet.path ?? "/"}`;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      await response.arrayBuffer();
      return response.status >= 200 && response.status < 400;
    } catch {
      return false;
    }
  }
  if (probe.tcpSocket) return acceptsConnections("127.0.0.1", portOf(probe.tcpSocket.port), timeoutMs);
  if (probe.exec) return (await exec(probe.exec.command, timeoutMs)) === 0;
  throw new Error("a probe with neither httpGet, tcpSocket nor exec");
}

/** Runs `argv` with `env`, its output kept for a failure message; resolves with its exit code (null: killed). */
export function runToExit(
  argv: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-8000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
