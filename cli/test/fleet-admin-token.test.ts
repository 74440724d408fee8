import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fleetAdminToken, tokenPrefix } from "../fleet-admin-token.js";

void describe("fleetAdminToken", () => {
  const root = mkdtempSync(join(tmpdir(), "specfleet-admin-token-"));
  after(() => rmSync(root, { recursive: true, force: true }));

  void it("needs none on loopback: the admin API answers this machine only", () => {
    for (const host of ["127.0.0.1", "localhost", "::1"]) assert.equal(fleetAdminToken(host, undefined, root), null);
  });

  void it("takes GATEWAY_ADMIN_TOKEN when given, on any host", () => {
    assert.deepEqual(fleetAdminToken("0.0.0.0", "given-token", join(root, "unused")), {
      token: "given-token",
      source: "env",
    });
  });

  void it("beyond loopback makes one into the secrets folder (0600), then keeps it", () => {
    const dir = join(root, "fleet-secrets");
    const made = fleetAdminToken("0.0.0.0", undefined, dir);
    assert.equal(made?.source, "new");
    assert.match(made!.token, /^[A-Za-z0-9_-]{43}$/, "32 random bytes, base64url");
    const file = join(dir, "admin-token");
    assert.equal(made!.file, file);
    assert.equal(readFileSync(file, "utf8").trim(), made!.token);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o077, 0, "the folder is its owner's only");
    assert.deepEqual(fleetAdminToken("10.0.0.5", undefined, dir), { token: made!.token, source: "file", file });
    assert.equal(tokenPrefix(made!.token), `${made!.token.slice(0, 4)}…`);
  });

  void it("refuses a kept file that holds no usable token, saying what to do", () => {
    const dir = join(root, "broken");
    fleetAdminToken("0.0.0.0", undefined, dir);
    writeFileSync(join(dir, "admin-token"), "short\n");
    assert.throws(() => fleetAdminToken("0.0.0.0", undefined, dir), /admin-token holds no admin token.*remove it/);
  });
});
