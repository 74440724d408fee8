import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { NatsAuthority, type FleetRole } from "#security";
import { JoinCredentialError, readDeviceCredential } from "../join/device-credential.js";
import { checkJoinUrl, drafterEnv } from "../join/drafter-env.js";

const dir = mkdtempSync(join(tmpdir(), "specfleet-join-"));
const authority = NatsAuthority.generate();
const credsOf = async (name: string, identity: string, role: FleetRole, expiresInS?: number) => {
  const file = join(dir, `${name}.creds`);
  writeFileSync(file, (await authority.issue(identity, role, expiresInS)).creds, { mode: 0o600 });
  return file;
};

void describe("specfleet join: the device's credential", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  void it("a drafter's credential gives the worker its id, role and key", async () => {
    const file = await credsOf("edge-7", "edge-7", "drafter", 3600);
    const credential = await readDeviceCredential(file);
    assert.equal(credential.file, file);
    assert.equal(credential.identity, "edge-7");
    assert.equal(credential.role, "drafter");
    assert.match(credential.publicKey, /^U[A-Z2-7]{55}$/);
    assert.ok(credential.expiresAt! > Date.now());
  });

  const refused: Array<{ case: string; file: () => Promise<string>; now?: number; says: RegExp }> = [
    { case: "missing", file: async () => join(dir, "missing.creds"), says: /cannot read it \(ENOENT\)/ },
    {
      case: "not a .creds file",
      file: async () => {
        writeFileSync(join(dir, "junk.creds"), "hello");
        return join(dir, "junk.creds");
      },
      says: /not a NATS \.creds file/,
    },
    {
      case: "a verifier's",
      file: () => credsOf("gpu-1", "gpu-1", "verifier"),
      says: /a verifier's credential \(gpu-1\); an edge device joins as a drafter/,
    },
    { case: "a control plane's", file: () => credsOf("gw", "gateway", "gateway"), says: /a gateway's credential/ },
    {
      case: "a name no worker may have",
      file: () => credsOf("odd", "edge 7!", "drafter"),
      says: /names 'edge 7!', which cannot be a worker's id/,
    },
    {
      case: "expired",
      file: () => credsOf("old", "edge-old", "drafter", 60),
      now: Date.now() + 120_000,
      says: /edge-old's credential expired at/,
    },
  ];
  for (const c of refused)
    void it(`refuses a credential: ${c.case}, saying how to get one`, async () => {
      const file = await c.file();
      await assert.rejects(readDeviceCredential(file, c.now), (error: unknown) => {
        assert.ok(error instanceof JoinCredentialError);
        assert.match(error.message, c.says);
        assert.match(error.message, /specfleet devices issue <device-id> --role drafter/);
        assert.ok(error.message.includes(file), "names the file");
        assert.ok(!/SU[A-Z2-7]{50,}/.test(error.message), "never the seed");
        return true;
      });
    });
});

void describe("specfleet join: the URL and the worker's environment", () => {
  for (const url of [
    "nats://10.0.0.5:4222",
    "tls://fleet.example.com:4222",
    "ws://127.0.0.1:8080",
    "wss://fleet.example.com",
  ])
    void it(`takes ${url}`, () => assert.equal(checkJoinUrl(url), url));
  const bad: Array<[string, RegExp]> = [
    ["https://fleet.example.com", /https:\/\/ is not a NATS URL; use nats:\/\/, tls:\/\/ .* ws:\/\/, wss:\/\//],
    ["fleet.example.com:4222", /fleet\.example\.com:4222.*is not a NATS URL|give the fleet's NATS URL/],
    ["not a url", /give the fleet's NATS URL/],
  ];
  for (const [url, says] of bad) void it(`refuses ${url}`, () => assert.throws(() => checkJoinUrl(url), says));

  void it("runs the draft worker as the credential's identity, profiling at start; unset flags stay unset", () => {
    const credential = {
      file: "/d/edge-7.creds",
      identity: "edge-7",
      role: "drafter",
      publicKey: "U",
      expiresAt: null,
    };
    const base = {
      url: "wss://f",
      credential,
      modelPath: "/m/d.gguf",
      modelName: "d",
      modelCacheDir: "/m",
      logLevel: "warn",
    };
    assert.deepEqual(drafterEnv(base), {
      NATS_URL: "wss://f",
      NATS_CREDS: "/d/edge-7.creds",
      WORKER_ID: "edge-7",
      MODEL_PATH: "/m/d.gguf",
      MODEL_NAME: "d",
      MODEL_CACHE_DIR: "/m",
      PROFILE_AT_START: "true",
      LOG_LEVEL: "warn",
    });
    const all = drafterEnv({ ...base, caFile: "/ca.pem", threads: 4, maxSessions: 2, deviceClass: "jetson" });
    assert.deepEqual(
      [all.NATS_TLS_CA, all.THREADS, all.MAX_SESSIONS, all.DEVICE_CLASS],
      ["/ca.pem", "4", "2", "jetson"],
    );
  });
});
