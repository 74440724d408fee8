import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { basename, dirname } from "node:path";
import { ensureBinary, findBinary, MissingBinaryError, silentLog } from "#infra";

void describe("findBinary", () => {
  void it("finds an executable on the given PATH", () => {
    assert.equal(findBinary(basename(process.execPath), dirname(process.execPath)), process.execPath);
  });

  void it("returns undefined for a name nowhere to be found", () => {
    assert.equal(findBinary("specfleet-no-such-binary", "/nonexistent"), undefined);
  });
});

void describe("ensureBinary", () => {
  void it("finds nats-server and redis-server even off PATH (Debian keeps nats-server in /usr/sbin)", async () => {
    assert.match(await ensureBinary("nats-server", silentLog), /\/nats-server$/);
    assert.match(await ensureBinary("redis-server", silentLog), /\/redis-server$/);
  });

  void it("says exactly what to install when it cannot", () => {
    const error = new MissingBinaryError("redis-server", "not root, cannot apt-get it");
    assert.equal(
      error.message,
      "redis-server not found (not root, cannot apt-get it): install nats-server 2.9+ (https://nats.io) and redis-server 7+, or set NATS_URL / REDIS_URL",
    );
  });
});
