import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { formatLogLine, isReadyLine } from "./log-lines.js";
import { watchdog } from "./watchdog.js";

export type OutputStream = "stdout" | "stderr";

/** Where a process's output lines go. */
export interface ProcessOutput {
  /** Write every line to this file (its folder is created). */
  logFile?: string;
  /** Append to logFile instead of starting it afresh. */
  appendLog?: boolean;
  /** Echo every line to the console as `[name] ...`, pino lines made readable. */
  console?: boolean;
  /** Called with every line. */
  onLine?: (line: string, stream: OutputStream) => void;
}

export interface ManagedProcessOptions {
  /** Used in messages and console prefixes: "registry", "verifier-1", "nats-server". */
  name: string;
  command: string;
  args?: string[];
  /** The child's whole environment; defaults to this process's. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  output?: ProcessOutput;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WaitForLineOptions {
  /** Count lines printed before the call (default true): a ready line may already be there. */
  includePast?: boolean;
  signal?: AbortSignal;
}

const historySize = 200;
// Output pipes close right after exit unless a grandchild holds them; don't wait for that.
const pipeCloseGraceMs = 500;

/**
 * A child process whose output is read line by line: readiness is a line, failures quote the
 * last lines. Every live one is handed to the watchdog and signalled when this process exits,
 * so a launcher that dies leaves no orphan behind.
 */
export class ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves once the process has exited and its output is read. */
  readonly exited: Promise<ProcessExit>;
  private exit: ProcessExit | undefined;
  private readonly history: string[] = [];
  private readonly listeners = new Set<(line: string) => void>();
  private readonly exitListeners = new Set<() => void>();

  private constructor(
    private readonly child: ChildProcess,
    pid: number,
    options: ManagedProcessOptions,
  ) {
    this.name = options.name;
    this.pid = pid;
    const logFile = openLogFile(options.output);
    const echo = options.output?.console === true;
    const onLine = options.output?.onLine;
    const handle = (stream: OutputStream) => (line: string) => {
      logFile?.write(`${line}\n`);
      if (echo) process.stdout.write(`[${this.name}] ${formatLogLine(line)}\n`);
      onLine?.(line, stream);
      this.history.push(line);
      if (this.history.length > historySize) this.history.shift();
      for (const listener of [...this.listeners]) listener(line);
    };
    let openPipes = 0;
    let pipesClosed: () => void = () => undefined;
    const allPipesClosed = new Promise<void>((resolve) => (pipesClosed = resolve));
    for (const [stream, source] of [
      ["stdout", child.stdout],
      ["stderr", child.stderr],
    ] as const) {
      if (source === null) continue;
      openPipes++;
      const lines = createInterface({ input: source, crlfDelay: Infinity });
      lines.on("line", handle(stream));
      lines.once("close", () => {
        if (--openPipes === 0) pipesClosed();
      });
    }
    if (openPipes === 0) pipesClosed();
    this.exited = new Promise<ProcessExit>((resolve) => {
      child.once("exit", (code, signal) => {
        this.exit = { code, signal };
        watchdog.unwatch(pid);
        live.delete(this);
        void Promise.race([allPipesClosed, sleep(pipeCloseGraceMs)])
          // Its log file holds every line once `exited` resolves (a test reads it right after).
          .then(() => new Promise<void>((flushed) => (logFile ? logFile.end(flushed) : flushed())))
          .then(() => {
            for (const listener of [...this.exitListeners]) listener();
            resolve({ code, signal });
          });
      });
    });
    live.add(this);
    watchdog.watch(pid);
    installExitHook();
  }

  /** Spawns the process; rejects if it cannot start at all (missing command, bad cwd). */
  static start(options: ManagedProcessOptions): Promise<ManagedProcess> {
    return new Promise((resolve, reject) => {
      const child = spawn(options.command, options.args ?? [], {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: ["ignore", "pipe", "pipe"],
        // Its own process group: Ctrl-C reaches only the launcher, which stops things in order.
        detached: true,
      });
      child.once("error", (error) =>
        reject(new Error(`cannot start ${options.name} (${options.command}): ${error.message}`)),
      );
      child.once("spawn", () => {
        if (child.pid === undefined) reject(new Error(`cannot start ${options.name}: no pid`));
        else resolve(new ManagedProcess(child, child.pid, options));
      });
    });
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** How it ended, once it has. */
  get exitStatus(): ProcessExit | undefined {
    return this.exit;
  }

  /** The last lines it printed (up to 200), oldest first. */
  recentLines(count = historySize): string[] {
    return this.history.slice(-count);
  }

  /**
   * The first line matching `predicate`. Rejects when the process exits first (quoting its last
   * lines), after `timeoutMs`, or when `signal` aborts.
   */
  waitForLine(
    predicate: (line: string) => boolean,
    timeoutMs: number,
    options: WaitForLineOptions = {},
  ): Promise<string> {
    if (options.includePast !== false) {
      const past = this.history.find(predicate);
      if (past !== undefined) return Promise.resolve(past);
    }
    return new Promise((resolve, reject) => {
      const finish = (error: Error | undefined, line?: string) => {
        clearTimeout(timer);
        this.listeners.delete(onLine);
        this.exitListeners.delete(onExit);
        options.signal?.removeEventListener("abort", onAbort);
        if (error !== undefined) reject(error);
        else resolve(line as string);
      };
      const onLine = (line: string) => {
        if (predicate(line)) finish(undefined, line);
      };
      const onExit = () => finish(this.failure(`exited (${describeExit(this.exit)})`));
      const onAbort = () => finish(new Error(`${this.name}: waiting aborted`));
      const timer = setTimeout(() => finish(this.failure(`no expected line after ${timeoutMs} ms`)), timeoutMs);
      this.listeners.add(onLine);
      this.exitListeners.add(onExit);
      options.signal?.addEventListener("abort", onAbort);
      if (!this.running && this.exitListeners.has(onExit)) {
        // Exited before we started listening; its output is complete.
        void this.exited.then(onExit);
      }
      if (options.signal?.aborted === true) onAbort();
    });
  }

  /** Resolves once the service logged `{"msg":"ready"}`. */
  async waitForReady(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    await this.waitForLine(isReadyLine, timeoutMs, { signal });
  }

  /**
   * `signal` (SIGTERM), then SIGKILL if it is still there after `graceMs`. SIGINT stops an actor
   * at once where SIGTERM lets a worker drain first (its sessions move elsewhere).
   */
  async stop(graceMs = 5000, signal: "SIGTERM" | "SIGINT" = "SIGTERM"): Promise<ProcessExit> {
    if (!this.running) return this.exited;
    this.kill(signal);
    const timer = setTimeout(() => this.kill("SIGKILL"), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a signal now (chaos tests use SIGKILL); a process already gone is left alone. */
  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    if (!this.running) return;
    try {
      this.child.kill(signal);
    } catch {
      // exited in the meantime
    }
  }

  private failure(what: string): Error {
    const tail = this.recentLines(15).join("\n");
    return new Error(
      `${this.name} (pid ${this.pid}) ${what}${tail === "" ? ", printed nothing" : `; last lines:\n${tail}`}`,
    );
  }
}

export function describeExit(exit: ProcessExit | undefined): string {
  if (exit === undefined) return "running";
  return exit.signal !== null ? `signal ${exit.signal}` : `code ${exit.code}`;
}

function openLogFile(output: ProcessOutput | undefined): WriteStream | undefined {
  if (output?.logFile === undefined) return undefined;
  mkdirSync(dirname(output.logFile), { recursive: true });
  return createWriteStream(output.logFile, { flags: output.appendLog === true ? "a" : "w" });
}

const live = new Set<ManagedProcess>();
let exitHookInstalled = false;

// Whatever way this process ends, its children get SIGTERM now; the watchdog covers SIGKILL.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const managed of live) managed.kill("SIGTERM");
  });
}
