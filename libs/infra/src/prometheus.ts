import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBinary } from "./binaries.js";
import { silentLog, type InfraLog } from "./log.js";
import { freePort, waitUntil } from "./ports.js";
import { describeExit, ManagedProcess, type ProcessOutput } from "./processes.js";
import { watchdog } from "./watchdog.js";

const host = "127.0.0.1";

/** One endpoint Prometheus scrapes: a job of one target. */
export interface ScrapeTarget {
  /** The `job` label of its series. */
  job: string;
  /** The whole URL of its metrics, e.g. `http://127.0.0.1:8080/metrics`. */
  url: string;
  /** Sent as `Authorization: Bearer …` (written to a 0600 file, never on a command line). */
  bearerToken?: string;
}

export interface StartPrometheusOptions {
  targets: ScrapeTarget[];
  /** Seconds between scrapes (and rule evaluations). Default 1: tests want samples quickly. */
  scrapeIntervalS?: number;
  /** Default: a free port. */
  port?: number;
  log?: InfraLog;
  output?: ProcessOutput;
  /** How long to wait for /-/ready. Default 30 s (a first start replays an empty WAL quickly). */
  timeoutMs?: number;
}

/** A prometheus server this process started, with its config and TSDB in a temporary folder. */
export interface PrometheusHandle {
  /** Its HTTP API and UI, e.g. `http://127.0.0.1:40123`. */
  url: string;
  port: number;
  pid: number;
  /** The temporary folder: prometheus.yml, the token files, data/. */
  dir: string;
  process: ManagedProcess;
  /** SIGTERM (SIGKILL after a grace period), then removes the folder. */
  stop(): Promise<void>;
}

/**
 * The scrape configuration for `targets`, as Prometheus reads it (YAML is a superset of JSON,
 * so JSON it is: no YAML writer needed). `tokenFile(i)` names the file holding target i's token.
 */
export function prometheusConfig(
  targets: ScrapeTarget[],
  scrapeIntervalS: number,
  tokenFile: (index: number) => string,
): string {
  const interval = `${scrapeIntervalS}s`;
  return JSON.stringify(
    {
      global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
      scrape_configs: targets.map((target, index) => {
        const url = new URL(target.url);
        return {
          job_name: target.job,
          scheme: url.protocol.replace(":", ""),
          metrics_path: url.pathname,
          ...(target.bearerToken === undefined
            ? {}
            : { authorization: { type: "Bearer", credentials_file: tokenFile(index) } }),
          static_configs: [{ targets: [url.host] }],
        };
      }),
    },
    null,
    2,
  );
}

/**
 * Debian's `prometheus` (apt-get installed when missing, as nats-server and redis-server are)
 * on 127.0.0.1 and a free port, scraping `targets`; resolves once `/-/ready` answers 200.
 */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusHandle> {
  const log = options.log ?? silentLog;
  const command = await ensureBinary("prometheus", log);
  const dir = mkdtempSync(join(tmpdir(), "specfleet-prometheus-"));
  watchdog.watchDir(dir);
  const removeDir = () => {
    rmSync(dir, { recursive: true, force: true });
    watchdog.unwatchDir(dir);
  };
  const tokenFile = (index: number) => join(dir, `target-${index}.token`);
  options.targets.forEach((target, index) => {
    if (target.bearerToken !== undefined) writeFileSync(tokenFile(index), target.bearerToken, { mode: 0o600 });
  });
  const configFile = join(dir, "prometheus.yml");
  writeFileSync(configFile, prometheusConfig(options.targets, options.scrapeIntervalS ?? 1, tokenFile));

  const port = options.port ?? (await freePort());
  const url = `http://${host}:${port}`;
  let child: ManagedProcess;
  try {
    child = await ManagedProcess.start({
      name: "prometheus",
      command,
      args: [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=${host}:${port}`,
        "--log.level=warn",
      ],
      output: options.output,
    });
  } catch (error) {
    removeDir();
    throw error;
  }
  try {
    await waitUntil(`prometheus on port ${port}`, () => answers200(`${url}/-/ready`), {
      timeoutMs: options.timeoutMs ?? 30_000,
      intervalMs: 100,
      giveUp: () =>
        child.running ? undefined : `exited (${describeExit(child.exitStatus)}): ${child.recentLines(10).join("\n")}`,
    });
  } catch (error) {
    await child.stop();
    removeDir();
    throw error;
  }
  log.info({ binary: "prometheus", port, serverPid: child.pid }, "server ready");
  return {
    url,
    port,
    pid: child.pid,
    dir,
    process: child,
    stop: async () => {
      await child.stop();
      removeDir();
    },
  };
}

async function answers200(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}
