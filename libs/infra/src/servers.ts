import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBinary, type ServerBinary } from "./binaries.js";
import { silentLog, type InfraLog } from "./log.js";
import { acceptsConnections, freePort, waitUntil } from "./ports.js";
import { describeExit, ManagedProcess, type ProcessExit, type ProcessOutput } from "./processes.js";
import { watchdog } from "./watchdog.js";

const host = "127.0.0.1";

/** A nats-server or redis-server this process started. */
export interface ServerHandle {
  url: string;
  port: number;
  pid: number;
  /** Its data folder (JetStream store, Redis dir). */
  dir: string;
  process: ManagedProcess;
  exited: Promise<ProcessExit>;
  /** SIGTERM (SIGKILL after a grace period), then removes the temporary folder if we made one. */
  stop(): Promise<void>;
  /** A signal now, for chaos tests; stop() still cleans up afterwards. */
  kill(signal?: NodeJS.Signals): void;
}

interface CommonServerOptions {
  /** Default: a free port. */
  port?: number;
  log?: InfraLog;
  output?: ProcessOutput;
  /** How long to wait for it to accept connections. Default 15 s. */
  timeoutMs?: number;
}

export interface StartNatsOptions extends CommonServerOptions {
  /** JetStream store. Default: a temporary folder removed on stop. */
  storeDir?: string;
}

/** nats-server with JetStream, bound to 127.0.0.1. */
export function startNats(options: StartNatsOptions = {}): Promise<ServerHandle> {
  return startServer("nats-server", options, options.storeDir, {
    args: (port, dir) => ["-js", "-sd", dir, "-a", host, "-p", String(port)],
    url: (port) => `nats://${host}:${port}`,
    ready: (port) => acceptsConnections(host, port),
  });
}

export interface StartRedisOptions extends CommonServerOptions {
  /** Working folder. Default: a temporary folder removed on stop. */
  dir?: string;
  /** Persist with an append-only file. Default false. */
  appendOnly?: boolean;
}

/** redis-server bound to 127.0.0.1, no RDB snapshots, append-only file on request. */
export function startRedis(options: StartRedisOptions = {}): Promise<ServerHandle> {
  const appendOnly = options.appendOnly === true ? "yes" : "no";
  return startServer("redis-server", options, options.dir, {
    args: (port, dir) => [
      "--port",
      String(port),
      "--bind",
      host,
      "--dir",
      dir,
      "--save",
      "",
      "--appendonly",
      appendOnly,
    ],
    url: (port) => `redis://${host}:${port}`,
    ready: (port) => redisAnswersPing(port),
  });
}

interface ServerKind {
  args(port: number, dir: string): string[];
  url(port: number): string;
  ready(port: number): Promise<boolean>;
}

// A port picked by freePort() can be taken before the server binds it: then pick another.
const attemptsOnFreePort = 3;

async function startServer(
  binary: ServerBinary,
  options: CommonServerOptions,
  givenDir: string | undefined,
  kind: ServerKind,
): Promise<ServerHandle> {
  const log = options.log ?? silentLog;
  const command = await ensureBinary(binary, log);
  const attempts = options.port === undefined ? attemptsOnFreePort : 1;
  for (let attempt = 1; ; attempt++) {
    const dir = givenDir ?? temporaryDir(binary);
    const removeDir = () => {
      if (givenDir !== undefined) return;
      rmSync(dir, { recursive: true, force: true });
      watchdog.unwatchDir(dir);
    };
    const port = options.port ?? (await freePort());
    let child: ManagedProcess;
    try {
      child = await ManagedProcess.start({ name: binary, command, args: kind.args(port, dir), output: options.output });
    } catch (error) {
      removeDir();
      throw error;
    }
    try {
      await waitUntil(`${binary} on port ${port}`, () => kind.ready(port), {
        timeoutMs: options.timeoutMs ?? 15_000,
        giveUp: () =>
          child.running ? undefined : `exited (${describeExit(child.exitStatus)}): ${child.recentLines(10).join("\n")}`,
      });
    } catch (error) {
      await child.stop();
      removeDir();
      if (attempt < attempts) {
        log.warn({ binary, port, attempt }, "server did not come up, trying another port");
        continue;
      }
      throw error;
    }
    log.info({ binary, port, serverPid: child.pid }, "server ready");
    return {
      url: kind.url(port),
      port,
      pid: child.pid,
      dir,
      process: child,
      exited: child.exited,
      stop: async () => {
        await child.stop();
        removeDir();
      },
      kill: (signal = "SIGKILL") => child.kill(signal),
    };
  }
}

function temporaryDir(binary: ServerBinary): string {
  const dir = mkdtempSync(join(tmpdir(), `specfleet-${binary}-`));
  watchdog.watchDir(dir);
  return dir;
}

/** Redis answers PING with +PONG once it has loaded its data and serves commands. */
function redisAnswersPing(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let reply = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString("utf8");
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
  });
}
