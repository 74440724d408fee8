import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { FleetSecrets, type LocalFleet } from "#infra";
import { fleetSecurity, openFleetWarning, securityLines } from "../fleet-security.js";

const SECRETS = "/somewhere/.cache/fleet-secrets";

void describe("fleetSecurity: how fleet up secures its fleet", () => {
  void it("is secured by default, its secrets kept in the folder given", () => {
    assert.deepEqual(fleetSecurity({ insecure: false, tls: false }, SECRETS), {
      secure: true,
      tls: false,
      secretsDir: SECRETS,
      openBecause: null,
    });
    assert.equal(fleetSecurity({ insecure: false, tls: true }, SECRETS).tls, true);
  });

  void it("is open with --insecure, and says so loudly", () => {
    const open = fleetSecurity({ insecure: true, tls: false }, SECRETS);
    assert.equal(open.secure, false);
    assert.equal(open.secretsDir, undefined);
    assert.match(openFleetWarning(open).join("\n"), /WARNING: this fleet is OPEN: --insecure/);
    assert.deepEqual(openFleetWarning(fleetSecurity({ insecure: false, tls: false }, SECRETS)), []);
  });

  void it("is open when it joins a NATS or Redis it did not start, and says why", () => {
    for (const given of [{ natsUrl: "nats://10.0.0.5:4222" }, { redisUrl: "redis://10.0.0.6:6379" }]) {
      const security = fleetSecurity({ insecure: false, tls: false, ...given }, SECRETS);
      assert.equal(security.secure, false);
      assert.match(openFleetWarning(security).join("\n"), /did not start/);
    }
  });

  void it("refuses --tls with --insecure, or with a NATS it did not start", () => {
    assert.throws(() => fleetSecurity({ insecure: true, tls: true }, SECRETS), /--tls and --insecure/);
    assert.throws(
      () => fleetSecurity({ insecure: false, tls: true, natsUrl: "nats://10.0.0.5:4222" }, SECRETS),
      /--tls needs the fleet's own nats-server/,
    );
  });
});

void describe("securityLines: the banner", () => {
  const root = mkdtempSync(join(tmpdir(), "specfleet-fleet-security-"));
  after(() => rmSync(root, { recursive: true, force: true }));

  void it("names where the secrets are and how to reach NATS and Redis as admin, never a secret", async () => {
    const secrets = await FleetSecrets.prepare(root, { tls: true });
    const natsUrl = "tls://127.0.0.1:4222";
    const fleet = {
      natsUrl,
      secrets,
      natsEndpoint: (identity = "admin") => secrets.natsEndpoint(natsUrl, identity),
    } as unknown as LocalFleet;
    const banner = securityLines(fleet, fleetSecurity({ insecure: false, tls: true }, root)).join("\n");
    assert.match(banner, new RegExp(`NATS_CREDS=${join(root, "creds", "admin.creds")}`));
    assert.match(banner, new RegExp(`NATS_TLS_CA=${join(root, "tls", "ca.pem")}`));
    assert.match(banner, new RegExp(`REDIS_PASSWORD_FILE=${join(root, "redis", "admin.password")}`));
    assert.match(banner, /, TLS,/);

    // Not one line of any secret file (passwords, seeds, JWTs, keys), nor its first 12 characters.
    const files = readdirSync(root, { recursive: true, encoding: "utf8" }).map((f) => join(root, f));
    const secretLines = files
      .filter((file) => statSync(file).isFile())
      .flatMap((file) => readFileSync(file, "utf8").split(/[\n"]/))
      .map((line) => line.trim())
      .filter((line) => line.length >= 24 && !line.startsWith("-----") && !line.includes(" "));
    assert.ok(secretLines.length > 10, "the secrets folder holds the fleet's secrets");
    for (const secret of secretLines) assert.ok(!banner.includes(secret.slice(0, 12)), "a secret in the banner");
  });

  void it("says an open fleet is open", () => {
    const fleet = { natsUrl: "nats://127.0.0.1:4222", secrets: null } as unknown as LocalFleet;
    assert.match(securityLines(fleet, fleetSecurity({ insecure: true, tls: false }, root)).join("\n"), /OPEN/);
  });
});
