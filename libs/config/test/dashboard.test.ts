import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dashboardConfigSchema, parseConfig } from "#config";

void describe("dashboardConfigSchema", () => {
  void it("has its defaults", () => {
    const config = parseConfig(dashboardConfigSchema, {});
    assert.equal(config.DASHBOARD_HOST, "127.0.0.1");
    assert.equal(config.DASHBOARD_PORT, 8081);
    assert.equal(config.DASHBOARD_PUSH_MS, 500);
    assert.equal(config.DASHBOARD_SAMPLE_MS, 1000);
    assert.equal(config.DASHBOARD_ADMIN_TOKEN, undefined);
  });

  void it("refuses to listen beyond loopback without an admin token, saying what to set", () => {
    assert.throws(
      () => parseConfig(dashboardConfigSchema, { DASHBOARD_HOST: "0.0.0.0" }),
      /DASHBOARD_ADMIN_TOKEN=null: the dashboard listens beyond loopback.*set DASHBOARD_ADMIN_TOKEN/,
    );
    const config = parseConfig(dashboardConfigSchema, {
      DASHBOARD_HOST: "0.0.0.0",
      DASHBOARD_ADMIN_TOKEN: "s3cret-admin",
    });
    assert.equal(config.DASHBOARD_HOST, "0.0.0.0");
    assert.equal(parseConfig(dashboardConfigSchema, { DASHBOARD_HOST: "::1" }).DASHBOARD_HOST, "::1");
  });

  void it("refuses a viewer token without an admin token or equal to it, and a push period above 1 s", () => {
    assert.throws(
      () => parseConfig(dashboardConfigSchema, { DASHBOARD_VIEWER_TOKEN: "viewer-token" }),
      /DASHBOARD_ADMIN_TOKEN/,
    );
    assert.throws(
      () =>
        parseConfig(dashboardConfigSchema, {
          DASHBOARD_ADMIN_TOKEN: "same-token",
          DASHBOARD_VIEWER_TOKEN: "same-token",
        }),
      /DASHBOARD_VIEWER_TOKEN/,
    );
    assert.throws(() => parseConfig(dashboardConfigSchema, { DASHBOARD_PUSH_MS: "2000" }), /DASHBOARD_PUSH_MS/);
  });
});
