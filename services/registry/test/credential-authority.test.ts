import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import pino from "pino";
import type { DeviceCredential } from "#contracts";
import type { RegistryConfig } from "#config";
import { NatsAuthority } from "#security";
import { CredentialAuthorityService } from "../src/credentials/credential-authority.service.js";
import type { CredentialRepository } from "../src/credentials/credential-repository.js";
import type { FleetRegistryService } from "../src/fleet-registry.service.js";

/** An in-memory repository: what the authority saves. */
class MemoryRepository implements CredentialRepository {
  readonly saved = new Map<string, DeviceCredential>();
  save(credential: DeviceCredential) {
    this.saved.set(credential.publicKey, { ...credential });
    return Promise.resolve();
  }
  load() {
    return Promise.resolve([...this.saved.values()]);
  }
  quarantine() {
    return Promise.resolve();
  }
  release() {
    return Promise.resolve();
  }
  quarantined() {
    return Promise.resolve(new Map<string, string>());
  }
}

const registry = { refuseRegistration: () => undefined, leave: () => undefined } as unknown as FleetRegistryService;

function authority(file: string | undefined, repository = new MemoryRepository()) {
  const config = { NATS_URL: "nats://127.0.0.1:4222", NATS_AUTHORITY_FILE: file } as RegistryConfig;
  return new CredentialAuthorityService(config, pino({ level: "silent" }), repository, registry);
}

/** The credential authority's refusals carry codes the gateway turns into 404, 400 and 501 (no NATS needed). */
void describe("the credential authority's refusals", () => {
  const dir = mkdtempSync(join(tmpdir(), "specfleet-authority-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  void it("without NATS_AUTHORITY_FILE: not_configured, naming the variable", async () => {
    const none = authority(undefined);
    for (const reply of [
      await none.issue({ deviceId: "edge-1", role: "drafter" }),
      await none.revoke({ deviceId: "edge-1" }),
    ]) {
      assert.equal(reply.ok, false);
      assert.ok(!reply.ok && reply.error.code === "not_configured" && /NATS_AUTHORITY_FILE/.test(reply.error.message));
    }
  });

  void it("issues a device's credential, keeps only its public part, refuses reserved ids and revoking the unknown", async () => {
    const file = join(dir, "authority.json");
    writeFileSync(file, NatsAuthority.generate().toJson(), { mode: 0o600 });
    const repository = new MemoryRepository();
    const service = authority(file, repository);
    await service.onApplicationBootstrap();

    const issued = await service.issue({ deviceId: "edge-1", role: "verifier", note: "rack 4" });
    assert.ok(issued.ok);
    assert.match(issued.creds, /BEGIN NATS USER JWT/);
    assert.deepEqual(
      service.list().map((c) => [c.deviceId, c.role, c.note, c.revokedAt]),
      [["edge-1", "verifier", "rack 4", null]],
    );
    const seed = /\n(SU[A-Z2-7]+)\n/.exec(issued.creds)![1]!;
    assert.ok(!JSON.stringify([...repository.saved.values()]).includes(seed), "no seed stored");

    const reserved = await service.issue({ deviceId: "registry", role: "drafter" });
    assert.ok(!reserved.ok && reserved.error.code === "bad_request");
    const unknown = await service.revoke({ deviceId: "edge-2" });
    assert.ok(!unknown.ok && unknown.error.code === "not_found" && /edge-2/.test(unknown.error.message));
  });
});
