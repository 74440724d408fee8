import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ExecutionContext } from "@nestjs/common";
import { gatewayConfigSchema, parseConfig } from "#config";
import { HttpApiError } from "#http";
import type { Logger } from "#logging";
import type { ContractBus } from "#transport";
import { AdminAccessGuard } from "../src/admin/admin-access.guard.js";
import { adminControllers } from "../src/admin/admin-api.js";
import { adminHostAllowList } from "../src/admin/admin-hosts.js";
import { AdminController } from "../src/admin/admin.controller.js";
import { GatewayModule } from "../src/gateway.module.js";
import { openApiDocument } from "../src/http/openapi.js";

const TOKEN = "admin-token-for-tests";

interface FakeRequest {
  method: string;
  headers: Record<string, string>;
}

/** What the guard answers a request: "ok", or the error's status and code. */
function verdict(guard: AdminAccessGuard, req: FakeRequest): string {
  const context = { switchToHttp: () => ({ getRequest: () => req }) } as unknown as ExecutionContext;
  try {
    assert.equal(guard.canActivate(context), true);
    return "ok";
  } catch (error) {
    if (!(error instanceof HttpApiError)) throw error;
    return `${error.status} ${error.code}`;
  }
}

const host = "127.0.0.1:8080";
const bearer = { authorization: `Bearer ${TOKEN}` };

void describe("AdminAccessGuard", () => {
  const withToken = new AdminAccessGuard(
    parseConfig(gatewayConfigSchema, { GATEWAY_ADMIN_TOKEN: TOKEN, GATEWAY_ALLOWED_HOSTS: "gateway.example.com" }),
  );
  const open = new AdminAccessGuard(parseConfig(gatewayConfigSchema, {}));

  const cases: Array<[string, AdminAccessGuard, FakeRequest, string]> = [
    ["the token, a loopback Host", withToken, { method: "GET", headers: { host, ...bearer } }, "ok"],
    [
      "the token, a listed Host",
      withToken,
      { method: "GET", headers: { host: "gateway.example.com", ...bearer } },
      "ok",
    ],
    ["no token", withToken, { method: "GET", headers: { host } }, "401 invalid_admin_token"],
    [
      "a wrong token of the same length",
      withToken,
      { method: "GET", headers: { host, authorization: `Bearer ${"x".repeat(TOKEN.length)}` } },
      "401 invalid_admin_token",
    ],
    [
      "a prefix of the token",
      withToken,
      { method: "GET", headers: { host, authorization: `Bearer ${TOKEN.slice(0, 8)}` } },
      "401 invalid_admin_token",
    ],
    [
      "the token in another scheme",
      withToken,
      { method: "GET", headers: { host, authorization: `Basic ${TOKEN}` } },
      "401 invalid_admin_token",
    ],
    [
      "a rebound Host, even with the token",
      withToken,
      { method: "GET", headers: { host: "rebound.example:8080", ...bearer } },
      "403 host_not_allowed",
    ],
    ["no Host", open, { method: "GET", headers: {} }, "403 host_not_allowed"],
    ["open on loopback: a plain call", open, { method: "POST", headers: { host } }, "ok"],
    [
      "open on loopback: its own origin with JSON",
      open,
      {
        method: "POST",
        headers: { host, origin: `http://${host}`, "content-type": "application/json", "content-length": "2" },
      },
      "ok",
    ],
    [
      "another site's POST",
      open,
      { method: "POST", headers: { host, origin: "http://evil.example" } },
      "403 cross_site_request",
    ],
    [
      "another site's GET (it would read the devices)",
      open,
      { method: "GET", headers: { host, origin: "http://evil.example" } },
      "403 cross_site_request",
    ],
    [
      "Sec-Fetch-Site: cross-site without Origin",
      open,
      { method: "POST", headers: { host, "sec-fetch-site": "cross-site" } },
      "403 cross_site_request",
    ],
    [
      "a text/plain body",
      open,
      { method: "POST", headers: { host, "content-type": "text/plain", "content-length": "2" } },
      "415 unsupported_media_type",
    ],
    [
      "an empty form post",
      open,
      { method: "POST", headers: { host, "content-type": "application/x-www-form-urlencoded", "content-length": "0" } },
      "415 unsupported_media_type",
    ],
    [
      "a body without Content-Type",
      open,
      { method: "POST", headers: { host, "content-length": "2" } },
      "415 unsupported_media_type",
    ],
    [
      "a GET's Content-Type is not looked at",
      open,
      { method: "GET", headers: { host, "content-type": "text/plain" } },
      "ok",
    ],
  ];
  for (const [name, guard, req, expected] of cases) void it(name, () => assert.equal(verdict(guard, req), expected));
});

void describe("adminHostAllowList", () => {
  const machine = {
    interfaces: () =>
      ({
        lo: [{ address: "127.0.0.1" }, { address: "::1" }],
        eth0: [{ address: "10.1.2.3" }, { address: "fe80::abcd" }],
      }) as unknown as ReturnType<typeof import("node:os").networkInterfaces>,
    name: () => "gpu-box",
  };

  void it("bound to one address: that address, loopback names and GATEWAY_ALLOWED_HOSTS", () => {
    const hosts = adminHostAllowList({ GATEWAY_HOST: "10.1.2.3", GATEWAY_ALLOWED_HOSTS: [".fleet.example"] }, machine);
    for (const ok of ["10.1.2.3:8080", "localhost:8080", "gw.fleet.example"]) assert.ok(hosts.allows(ok), ok);
    for (const no of ["gpu-box:8080", "[fe80::abcd]:8080", "rebound.example"])
      assert.equal(hosts.allows(no), false, no);
  });

  void it("bound to every interface: each of the machine's addresses and its name", () => {
    for (const bind of ["0.0.0.0", "::"]) {
      const hosts = adminHostAllowList({ GATEWAY_HOST: bind, GATEWAY_ALLOWED_HOSTS: [] }, machine);
      for (const ok of ["10.1.2.3:8080", "[fe80::abcd]:8080", "gpu-box:8080", "127.0.0.1"])
        assert.ok(hosts.allows(ok), ok);
      for (const no of ["10.1.2.4", "rebound.example", "0.0.0.0:8080"]) assert.equal(hosts.allows(no), false, no);
    }
  });
});

void describe("GATEWAY_ADMIN_API=off", () => {
  const off = parseConfig(gatewayConfigSchema, { GATEWAY_HOST: "0.0.0.0", GATEWAY_ADMIN_API: "off" });

  void it("mounts no admin controller and documents no /admin path", () => {
    assert.deepEqual(adminControllers(off), []);
    const controllers = GatewayModule.forRoot(off, {} as Logger, {} as ContractBus).controllers ?? [];
    assert.equal(controllers.includes(AdminController), false);
    const paths = Object.keys((openApiDocument(off) as unknown as { paths: Record<string, unknown> }).paths);
    assert.deepEqual(
      paths.filter((path) => path.startsWith("/admin")),
      [],
    );
    assert.ok(paths.includes("/v1/completions"));
  });

  void it("mounts them by default", () => {
    const on = parseConfig(gatewayConfigSchema, {});
    assert.ok(adminControllers(on).includes(AdminController));
    const paths = Object.keys((openApiDocument(on) as unknown as { paths: Record<string, unknown> }).paths);
    assert.ok(paths.includes("/admin/devices") && paths.includes("/admin/keys"));
  });
});
