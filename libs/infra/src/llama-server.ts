import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { silentLog, type InfraLog } from "./log.js";
import { projectRoot } from "./paths.js";
import { freePort, waitUntil } from "./ports.js";
import { describeExit, ManagedProcess, type ProcessOutput } from "./processes.js";

const host = "127.0.0.1";

/** What a llama-server binary was built from (`.cache/llama-server/version.json`). */
export interface LlamaServerBuild {
  binary: string;
  /** node-llama-cpp's llama.cpp release tag (llama/llama.cpp.info.json). */
  nodeLlamaCppRelease: string;
  llamaCppCommit: string;
  llamaCppDescribe: string;
  bundleSha256: string;
  /** `llama-server --version`'s version line. */
  server: string;
}

/**
 * llama.cpp's own llama-server, built once from the llama.cpp source node-llama-cpp ships
 * (scripts/llama-server/build.sh: about 4 minutes on 2 cores the first time, then cached in
 * `.cache/llama-server/` until node-llama-cpp's bundle changes). For comparing SpecFleet with
 * llama.cpp on the same model: tokenization fixtures, peer benchmarks.
 */
export async function ensureLlamaServer(log: InfraLog = silentLog): Promise<LlamaServerBuild> {
  const root = projectRoot();
  log.info({}, "llama-server: building if needed (scripts/llama-server/build.sh)");
  const { stdout } = await promisify(execFile)("bash", [join(root, "scripts/llama-server/build.sh")], {
    cwd: root,
    maxBuffer: 16 * 1024 * 1024,
  });
  const binary = stdout.trim().split("\n").at(-1)!;
  const recorded = JSON.parse(await readFile(join(root, ".cache/llama-server/version.json"), "utf8")) as Omit<
    LlamaServerBuild,
    "binary"
  >;
  return { binary, ...recorded };
}

export interface StartLlamaServerOptions {
  binary: string;
  modelPath: string;
  /** Default 1. */
  threads?: number;
  /** Default 512 (shared by the slots: give 512 × parallel for 512 each). */
  contextSize?: number;
  /** Slots: requests decoded at once (`--parallel`). Default 1. */
  parallel?: number;
  /** Default: a free port. */
  port?: number;
  /** Further command-line arguments. */
  args?: readonly string[];
  output?: ProcessOutput;
  /** How long to wait for it to load the model. Default 60 s. */
  timeoutMs?: number;
}

export interface LlamaServerHandle {
  url: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/** A llama-server on 127.0.0.1 serving `modelPath` (one slot by default), ready (GET /health answers 200). */
export async function startLlamaServer(options: StartLlamaServerOptions): Promise<LlamaServerHandle> {
  const port = options.port ?? (await freePort());
  const args = [
    ...["--model", options.modelPath, "--host", host, "--port", String(port)],
    ...["--threads", String(options.threads ?? 1), "--ctx-size", String(options.contextSize ?? 512)],
    ...["--parallel", String(options.parallel ?? 1), "--no-webui"],
    ...(options.args ?? []),
  ];
  const child = await ManagedProcess.start({
    name: "llama-server",
    command: options.binary,
    args,
    output: options.output,
  });
  const url = `http://${host}:${port}`;
  try {
    await waitUntil(`llama-server on port ${port}`, () => healthy(url), {
      timeoutMs: options.timeoutMs ?? 60_000,
      giveUp: () =>
        child.running ? undefined : `exited (${describeExit(child.exitStatus)}): ${child.recentLines(10).join("\n")}`,
    });
  } catch (error) {
    await child.stop();
    throw error;
  }
  return {
    url,
    process: child,
    stop: async () => {
      await child.stop();
    },
  };
}

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  } catch {
    return false;
  }
}
