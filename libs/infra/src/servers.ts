import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
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
  /** The server's folder (JetStream store, or its config and account resolver). Default: a temporary folder removed on stop. */
  storeDir?: string;
  /**
   * A secured fleet's configuration (libs/security `natsServerConfig`), given the server's folder:
   * written as `nats.conf` there. Default: an open server with JetStream (tests of the transport).
   */
  config?: (dir: string) => string;
}

/** nats-server bound to 127.0.0.1: open with JetStream, or with the configuration given. */
export function startNats(options: StartNatsOptions = {}): Promise<ServerHandle> {
  const config = options.config;
  return startServer("nats-server", options, options.storeDir, {
    args: (port, dir) =>
      config
        ? ["-c", writeNatsConfig(dir, config(dir)), "-a", host, "-p", String(port)]
        : ["-js", "-sd", dir, "-a", host, "-p", String(port)],
    url: (port) => `nats://${host}:${port}`,
    ready: (port) => acceptsConnections(host, port),
  });
}

/** Users and their rights for a redis-server: the content of its aclfile (libs/security `redisAclFile`). */
export interface RedisAclOptions {
  /** The aclfile's text; written as `users.acl` (mode 0600) in the server's folder. */
  file: string;
  /** A user the readiness check logs in as; without one, a server refusing to PING before AUTH (`-NOAUTH`) counts as up. */
  ready?: { username: string; password: string };
}

export interface StartRedisOptions extends CommonServerOptions {
  /** Working folder. Default: a temporary folder removed on stop. */
  dir?: string;
  /** Persist with an append-only file. Default false. */
  appendOnly?: boolean;
  /** ACL users (`--aclfile`); default: no ACL, the `default` user without a password. */
  acl?: RedisAclOptions;
}

/** redis-server bound to 127.0.0.1, no RDB snapshots, append-only file on request, an aclfile when given. */
export function startRedis(options: StartRedisOptions = {}): Promise<ServerHandle> {
  const appendOnly = options.appendOnly === true ? "yes" : "no";
  const acl = options.acl;
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
      ...(acl ? ["--aclfile", writeAclFile(dir, acl.file)] : []),
    ],
    url: (port) => `redis://${host}:${port}`,
    ready: (port) => redisAnswersPing(port, acl?.ready),
  });
}

function writeNatsConfig(dir: string, content: string): string {
  const path = resolve(dir, "nats.conf");
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

function writeAclFile(dir: string, content: string): string {
  const path = resolve(dir, "users.acl");
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
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

/**
 * Redis answers PING with +PONG once it has loaded its data and serves commands; as a given user
 * after AUTH (`*` a RESP array, so any password goes through as is). Without a user, a server whose
 * `default` user is off answers `-NOAUTH`: it is up.
 */
function redisAnswersPing(
  port: number,
  user?: { username: string; password: string },
  timeoutMs = 1000,
): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    let reply = "";
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    const auth = user ? respCommand("AUTH", user.username, user.password) : "";
    const replies = user ? 2 : 1;
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once("error", () => finish(false));
    socket.once("connect", () => socket.write(`${auth}PING\r\n`));
    socket.on("data", (chunk) => {
      reply += chunk.toString("utf8");
      const lines = reply.split("\r\n");
      if (lines.length <= replies) return;
      const last = lines[replies - 1] ?? "";
      finish((!user || lines[0] === "+OK") && (last.startsWith("+PONG") || (!user && last.startsWith("-NOAUTH"))));
    });
  });
}

function respCommand(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;
}
