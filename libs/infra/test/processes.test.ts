import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ManagedProcess } from "#infra";
import { isAlive } from "./alive.js";

// A stand-in service: prints a plain line, a stderr line, then the pino ready line; STUBBORN
// ignores SIGTERM, CRASH exits with 3 before ready.
const fakeService = `
console.log("starting up");
console.error("a warning on stderr");
if (process.env.CRASH) { console.error("bad MODEL_PATH"); process.exit(3); }
setTimeout(() => console.log(JSON.stringify({ level: 30, time: Date.now(), msg: "ready" })), 100);
process.on("SIGTERM", () => {
  if (process.env.STUBBORN) console.log("ignoring SIGTERM");
  else process.exit(0);
});
setInterval(() => {}, 1000);
`;

let dir = "";
let script = "";
const started: ManagedProcess[] = [];

async function startFake(env: Record<string, string> = {}, logFile?: string): Promise<ManagedProcess> {
  const child = await ManagedProcess.start({
    name: "fake",
    command: process.execPath,
    args: [script],
    env: { ...process.env, ...env },
    output: { logFile },
  });
  started.push(child);
  return child;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), "infra-test-proc-"));
  script = join(dir, "fake-service.mjs");
  writeFileSync(script, fakeService);
});

after(async () => {
  await Promise.all(started.map((child) => child.stop(500)));
  rmSync(dir, { recursive: true, force: true });
});

void describe("ManagedProcess", () => {
  void it("sees the ready line, writes every line to its log file, and stops on SIGTERM", async () => {
    const logFile = join(dir, "logs", "fake.log");
    const child = await startFake({}, logFile);
    await child.waitForReady(5000);
    assert.ok(child.recentLines().includes("a warning on stderr"));
    const exit = await child.stop();
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.equal(child.running, false);
    const logged = readFileSync(logFile, "utf8");
    assert.match(logged, /starting up/);
    assert.match(logged, /"msg":"ready"/);
  });

  void it("finds a line printed before the wait began", async () => {
    const child = await startFake();
    await child.waitForReady(5000);
    assert.equal(await child.waitForLine((line) => line === "starting up", 100), "starting up");
    await assert.rejects(
      child.waitForLine((line) => line === "starting up", 100, { includePast: false }),
      /no expected line after 100 ms/,
    );
    await child.stop();
  });

  void it("rejects a wait when the process exits first, quoting its last lines", async () => {
    const child = await startFake({ CRASH: "1" });
    await assert.rejects(
      child.waitForReady(5000),
      /fake \(pid \d+\) exited \(code 3\); last lines:[\s\S]*bad MODEL_PATH/,
    );
    assert.deepEqual(await child.exited, { code: 3, signal: null });
  });

  void it("sends SIGKILL when SIGTERM is ignored", async () => {
    const child = await startFake({ STUBBORN: "1" });
    await child.waitForReady(5000);
    const exit = await child.stop(300);
    assert.equal(exit.signal, "SIGKILL");
    assert.equal(isAlive(child.pid), false);
  });

  void it("kill() is immediate, for chaos tests", async () => {
    const child = await startFake({ STUBBORN: "1" });
    await child.waitForReady(5000);
    child.kill("SIGKILL");
    assert.equal((await child.exited).signal, "SIGKILL");
  });

  void it("aborting a wait rejects it", async () => {
    const child = await startFake();
    const controller = new AbortController();
    const waiting = child.waitForLine(() => false, 5000, { signal: controller.signal });
    controller.abort();
    await assert.rejects(waiting, /aborted/);
    await child.stop();
  });

  void it("rejects start when the command does not exist", async () => {
    await assert.rejects(
      ManagedProcess.start({ name: "ghost", command: join(dir, "no-such-binary") }),
      /cannot start ghost/,
    );
  });
});

void describe("no orphans", () => {
  void it("a launcher killed with SIGKILL takes its services and servers with it", async () => {
    const launcherScript = join(dir, "launcher.mjs");
    const infra = new URL("../src/index.js", import.meta.url).href;
    writeFileSync(
      launcherScript,
      `import { ManagedProcess, startNats, startRedis } from ${JSON.stringify(infra)};
const child = await ManagedProcess.start({ name: "fake", command: process.execPath, args: [${JSON.stringify(script)}], env: { ...process.env, STUBBORN: "1" } });
const [nats, redis] = await Promise.all([startNats(), startRedis()]);
await child.waitForReady(5000);
console.log(JSON.stringify({ pids: [child.pid, nats.pid, redis.pid], dirs: [nats.dir, redis.dir] }));
setInterval(() => {}, 1000);
`,
    );
    const launcher = spawn(process.execPath, [launcherScript], { stdio: ["ignore", "pipe", "inherit"] });
    const report = await new Promise<{ pids: number[]; dirs: string[] }>((resolve, reject) => {
      let out = "";
      launcher.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("\n")) resolve(JSON.parse(out.split("\n")[0]) as { pids: number[]; dirs: string[] });
      });
      launcher.once("exit", (code) => reject(new Error(`launcher exited early with ${code}`)));
    });
    assert.ok(report.pids.every(isAlive));
    launcher.kill("SIGKILL");
    // The watchdog polls once a second and gives SIGTERM three seconds before SIGKILL.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && (report.pids.some(isAlive) || report.dirs.some((d) => existsSync(d))))
      await sleep(200);
    assert.deepEqual(report.pids.filter(isAlive), [], "no process survives its launcher");
    assert.deepEqual(
      report.dirs.filter((d) => existsSync(d)),
      [],
      "no temporary folder survives its launcher",
    );
  });
});
