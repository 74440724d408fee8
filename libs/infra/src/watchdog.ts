import { spawn, type ChildProcess } from "node:child_process";

/*
 * Runs in its own process group, so it outlives a launcher killed with SIGKILL. It learns pids
 * and temporary folders on stdin ("+123" / "-123", "+dir:/tmp/x" / "-dir:/tmp/x") and, once the
 * launcher is gone (stdin closes, its parent changes or the launcher pid stops answering; polled
 * once a second), sends SIGTERM to every pid it still holds, SIGKILL three seconds later,
 * removes the folders, and exits.
 */
const watchdogScript = `
const launcher = Number(process.argv[1]);
const pids = new Set();
const dirs = new Set();
let buffer = "";
let fired = false;
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === "EPERM"; } };
const signal = (sig) => { for (const pid of pids) { if (alive(pid)) { try { process.kill(pid, sig); } catch {} } } };
const fire = () => {
  if (fired) return;
  fired = true;
  signal("SIGTERM");
  setTimeout(() => {
    signal("SIGKILL");
    for (const dir of dirs) { try { require("fs").rmSync(dir, { recursive: true, force: true }); } catch {} }
    process.exit(0);
  }, pids.size > 0 ? 3000 : 0);
};
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  buffer += chunk;
  for (let i = buffer.indexOf("\\n"); i >= 0; i = buffer.indexOf("\\n")) {
    const line = buffer.slice(0, i);
    buffer = buffer.slice(i + 1);
    if (line.startsWith("+dir:")) { dirs.add(line.slice(5)); continue; }
    if (line.startsWith("-dir:")) { dirs.delete(line.slice(5)); continue; }
    const pid = Number(line.slice(1));
    if (!Number.isInteger(pid) || pid <= 0) continue;
    if (line[0] === "+") pids.add(pid);
    else if (line[0] === "-") pids.delete(pid);
  }
});
process.stdin.on("end", fire);
process.stdin.on("error", fire);
setInterval(() => { if (process.ppid !== launcher || !alive(launcher)) fire(); }, 1000);
`;

/** One watchdog per launcher process, started on first use. */
class Watchdog {
  private child: ChildProcess | undefined;
  private readonly held = new Set<string>();

  watch(pid: number): void {
    this.hold(String(pid));
  }

  unwatch(pid: number): void {
    this.release(String(pid));
  }

  /** A temporary folder to remove if the launcher dies before removing it itself. */
  watchDir(path: string): void {
    this.hold(`dir:${path}`);
  }

  unwatchDir(path: string): void {
    this.release(`dir:${path}`);
  }

  private hold(item: string): void {
    this.held.add(item);
    this.send(`+${item}\n`);
  }

  private release(item: string): void {
    this.held.delete(item);
    if (this.child !== undefined) this.send(`-${item}\n`);
  }

  /** The watchdog's own pid, for tests. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private send(line: string): void {
    const child = this.child ?? this.start();
    child.stdin?.write(line);
  }

  private start(): ChildProcess {
    const child = spawn(process.execPath, ["-e", watchdogScript, String(process.pid)], {
      detached: true,
      stdio: ["pipe", "ignore", "ignore"],
    });
    this.child = child;
    // A dead watchdog is replaced on next use, and told every pid still held.
    const lost = () => {
      if (this.child !== child) return;
      this.child = undefined;
    };
    child.once("exit", lost);
    child.once("error", lost);
    child.stdin?.on("error", lost);
    // The launcher must be free to exit: the watchdog notices that and cleans up.
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    for (const item of this.held) child.stdin?.write(`+${item}\n`);
    return child;
  }
}

export const watchdog = new Watchdog();
