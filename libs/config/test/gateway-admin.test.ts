import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gatewayConfigSchema, parseConfig } from "#config";

void describe("gatewayConfigSchema: the admin API", () => {
  void it("refuses to listen beyond loopback without an admin token, saying what to set", () => {
    for (const host of ["0.0.0.0", "::", "10.0.0.5"])
      assert.throws(
        () => parseConfig(gatewayConfigSchema, { GATEWAY_HOST: host }),
        /GATEWAY_ADMIN_TOKEN=null: the gateway listens beyond loopback.*set GATEWAY_ADMIN_TOKEN.*GATEWAY_HOST=127\.0\.0\.1.*GATEWAY_ADMIN_API=off/,
        host,
      );
  });

  void it("listens beyond loopback with a token, or with the admin API off", () => {
    const withToken = parseConfig(gatewayConfigSchema, {
      GATEWAY_HOST: "0.0.0.0",
      GATEWAY_ADMIN_TOKEN: "s3cret-admin",
    });
    assert.equal(withToken.GATEWAY_ADMIN_API, "on");
    const off = parseConfig(gatewayConfigSchema, { GATEWAY_HOST: "0.0.0.0", GATEWAY_ADMIN_API: "off" });
    assert.equal(off.GATEWAY_ADMIN_API, "off");
    assert.throws(() => parseConfig(gatewayConfigSchema, { GATEWAY_ADMIN_API: "no" }), /GATEWAY_ADMIN_API/);
  });

  void it("stays token-less on loopback names", () => {
    for (const host of ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
      assert.equal(parseConfig(gatewayConfigSchema, { GATEWAY_HOST: host }).GATEWAY_ADMIN_TOKEN, undefined, host);
  });

  void it("reads GATEWAY_ALLOWED_HOSTS as a list of names without ports", () => {
    const config = parseConfig(gatewayConfigSchema, {
      GATEWAY_ALLOWED_HOSTS: " gateway.example.com, .fleet.internal ,10.0.0.5,[2001:db8::1],",
    });
    assert.deepEqual(config.GATEWAY_ALLOWED_HOSTS, [
      "gateway.example.com",
      ".fleet.internal",
      "10.0.0.5",
      "[2001:db8::1]",
    ]);
    assert.deepEqual(parseConfig(gatewayConfigSchema, {}).GATEWAY_ALLOWED_HOSTS, []);
    for (const bad of ["gateway.example.com:8080", "http://gateway", "a b", "*"])
      assert.throws(
        () => parseConfig(gatewayConfigSchema, { GATEWAY_ALLOWED_HOSTS: bad }),
        /GATEWAY_ALLOWED_HOSTS.*host names without a port/,
        bad,
      );
  });
});
