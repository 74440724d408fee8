import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { lockDataDir, startRedis } from "#infra";

function scratch(): string {
  return mkdtempSync(join(tmpdir(), "infra-test-lock-"));
}

void describe("lockDataDir", () => {
  void it("gives a folder to one process at a time, and again once released", () => {
    const dir = join(scratch(), "redis");
    try {
      const first = lockDataDir(dir);
      assert.ok("release" in first, "a free folder is taken (and created)");
      const second = lockDataDir(dir, process.pid + 1);
      assert.deepEqual(second, { heldBy: process.pid }, "held by this live process");
      first.release();
      const third = lockDataDir(dir, process.pid + 1);
      assert.ok("release" in third, "free again after release");
      third.release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it("takes over a lock left by a process that died", async () => {
    const dir = scratch();
    try {
      const child = spawn(process.execPath, ["-e", ""]);
      const deadPid = child.pid!;
      await new Promise((resolve) => child.once("exit", resolve));
      writeFileSync(join(dir, "specfleet.lock"), String(deadPid));
      const lock = lockDataDir(dir);
      assert.ok("release" in lock, "a dead owner's lock is stale");
      assert.equal(readFileSync(join(dir, "specfleet.lock"), "utf8"), String(process.pid));
      lock.release();
      assert.equal(existsSync(join(dir, "specfleet.lock")), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it("a redis-server on a kept folder finds its data after a restart (append-only file)", async () => {
    const dir = scratch();
    try {
      const first = await startRedis({ dir, appendOnly: true });
      const before = new Redis(first.url);
      await before.set("specfleet:test", "kept");
      before.disconnect();
      await first.stop();
      const second = await startRedis({ dir, appendOnly: true });
      const after = new Redis(second.url);
      assert.equal(await after.get("specfleet:test"), "kept");
      after.disconnect();
      await second.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
