import assert from "node:assert/strict";
import { request } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { startService, type LocalFleet } from "#infra";
import { startTestFleet } from "../support/fleet.js";

const TOKEN = "admin-token-for-tests";
const VERIFIER = "verifier-1";
const EVIL = "http://evil.example";

interface Answer {
  status: number;
  body: { error?: { code: string | null; message: string; type: string }; [key: string]: unknown };
}

/**
 * One request exactly as given (node:http: `Host`, `Origin` and `Sec-Fetch-Site` are set as a
 * browser or a rebound name would send them, which fetch does not allow).
 */
function call(
  gatewayUrl: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  const { hostname, port } = new URL(gatewayUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Answer["body"] });
        } catch {
          reject(new Error(`${method} ${path}: ${res.statusCode} with a body that is not JSON: ${text.slice(0, 200)}`));
        }
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

function assertRefused(answer: Answer, status: number, code: string): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.body.error?.code, code, JSON.stringify(answer.body));
  assert.equal(typeof answer.body.error?.message, "string");
}

/**
 * The admin API against a real fleet: a cross-site drain, a rebound Host, a non-JSON body, a
 * missing or wrong token are each refused and drain nothing; GATEWAY_ADMIN_API=off mounts none;
 * the gateway does not start beyond loopback without a token.
 */
describe("the gateway's admin API, closed", () => {
  let fleet: LocalFleet;
  const admin = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
    call(fleet.gatewayUrl, method, path, headers, body);
  const drainPath = `/admin/devices/${VERIFIER}/drain`;
  const draining = async (headers: Record<string, string> = {}): Promise<boolean> => {
    const answer = await admin("GET", "/admin/devices", headers);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const device = (answer.body.data as Array<{ id: string; draining: boolean }>).find((d) => d.id === VERIFIER);
    assert.ok(device, `${VERIFIER} in /admin/devices`);
    return device.draining;
  };
  const restartGateway = async (env: Record<string, string>) => {
    await fleet.processes.get("gateway")!.stop();
    await fleet.restart("gateway", env);
  };

  before(async () => {
    fleet = await startTestFleet("admin-api-security", { verifiers: 1, drafters: 0 });
  });

  after(async () => {
    await fleet?.stop();
  });

  it("open on loopback: another site's drain is refused in every form a browser sends it, and drains nothing", async () => {
    const host = new URL(fleet.gatewayUrl).host;
    // The attack of the issue: a page's form or fetch posting text/plain (no preflight).
    assertRefused(
      await admin("POST", drainPath, { Origin: EVIL, "Content-Type": "text/plain" }, "{}"),
      415,
      "unsupported_media_type",
    );
    assertRefused(
      await admin("POST", drainPath, { Origin: EVIL, "Content-Type": "application/x-www-form-urlencoded" }, "a=1"),
      415,
      "unsupported_media_type",
    );
    // Bodiless (fetch with mode "no-cors"): the Origin is the refusal.
    assertRefused(await admin("POST", drainPath, { Origin: EVIL }), 403, "cross_site_request");
    assertRefused(await admin("POST", drainPath, { Origin: "null" }), 403, "cross_site_request");
    assertRefused(await admin("POST", drainPath, { "Sec-Fetch-Site": "cross-site" }), 403, "cross_site_request");
    // Not even an empty text/plain post from a client that names no origin.
    assertRefused(
      await admin("POST", drainPath, { "Content-Type": "text/plain", "Content-Length": "0" }),
      415,
      "unsupported_media_type",
    );
    // JSON from another site: refused too (an API key made for the attacker, the device list read).
    assertRefused(
      await admin("POST", "/admin/keys", { Origin: EVIL, "Content-Type": "application/json" }, '{"name":"x"}'),
      403,
      "cross_site_request",
    );
    assertRefused(await admin("GET", "/admin/devices", { Origin: EVIL }), 403, "cross_site_request");
    assert.equal(await draining(), false, "no refused request drained the verifier");

    // The gateway's own origin, and a client without one (curl, the CLI), still drain and undrain.
    const own = await admin("POST", drainPath, { Origin: `http://${host}`, "Sec-Fetch-Site": "same-origin" });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.equal(await draining(), true);
    const undrain = await admin("POST", `/admin/devices/${VERIFIER}/undrain`);
    assert.equal(undrain.status, 200, JSON.stringify(undrain.body));
    assert.equal(await draining(), false);
  });

  it("a Host that is not the gateway's (DNS rebinding) is refused on /admin; /v1 keeps answering", async () => {
    const port = new URL(fleet.gatewayUrl).port;
    const rebound = { Host: `rebound.example:${port}` };
    assertRefused(await admin("GET", "/admin/devices", rebound), 403, "host_not_allowed");
    assertRefused(await admin("POST", drainPath, rebound), 403, "host_not_allowed");
    assert.equal(await draining(), false);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`])
      assert.equal((await admin("GET", "/admin/devices", { Host: host })).status, 200, host);
    // The public API is called from anywhere with its keys: its Host is not checked.
    assert.equal((await admin("GET", "/v1/models", rebound)).status, 200);
  });

  it("the gateway does not start beyond loopback without GATEWAY_ADMIN_TOKEN, and says what to set", async () => {
    const child = await startService("gateway", {
      name: "gateway-without-token",
      env: {
        NATS_URL: fleet.natsUrl,
        REDIS_URL: fleet.redisUrl,
        GATEWAY_HOST: "0.0.0.0",
        GATEWAY_PORT: "0",
        // Whatever this test's own environment holds: unset (an empty variable is unset).
        GATEWAY_ADMIN_TOKEN: "",
        GATEWAY_ADMIN_API: "",
      },
    });
    // A gateway that started instead would never exit: stop it and fail (generous, not a timing bound).
    const exit = await Promise.race([child.exited, sleep(60_000, null, { ref: false })]);
    const output = child.recentLines().join("\n");
    if (exit === null) {
      await child.stop();
      assert.fail(`the gateway started on 0.0.0.0 without a token:\n${output}`);
    }
    assert.equal(exit.code, 2, output);
    assert.match(output, /GATEWAY_ADMIN_TOKEN=\S*: the gateway listens beyond loopback \(GATEWAY_HOST=0\.0\.0\.0\)/);
    assert.match(output, /set GATEWAY_ADMIN_TOKEN.*or bind GATEWAY_HOST=127\.0\.0\.1.*GATEWAY_ADMIN_API=off/);
  });

  it("beyond loopback with GATEWAY_ADMIN_TOKEN: a missing or wrong token is refused, GATEWAY_ALLOWED_HOSTS named", async () => {
    await restartGateway({
      GATEWAY_HOST: "0.0.0.0",
      GATEWAY_ADMIN_TOKEN: TOKEN,
      GATEWAY_ALLOWED_HOSTS: "gateway.test",
    });
    const port = new URL(fleet.gatewayUrl).port;
    const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
    assertRefused(await admin("GET", "/admin/devices"), 401, "invalid_admin_token");
    assertRefused(await admin("POST", drainPath), 401, "invalid_admin_token");
    for (const wrong of ["x".repeat(TOKEN.length), TOKEN.slice(0, -1), `${TOKEN}x`, TOKEN.toUpperCase()])
      assertRefused(await admin("POST", drainPath, bearer(wrong)), 401, "invalid_admin_token");
    assertRefused(await admin("GET", "/admin/keys", { Authorization: `Basic ${TOKEN}` }), 401, "invalid_admin_token");
    // The token does not open the other doors.
    assertRefused(await admin("POST", drainPath, { ...bearer(TOKEN), Origin: EVIL }), 403, "cross_site_request");
    assertRefused(
      await admin("POST", drainPath, { ...bearer(TOKEN), Host: `other.test:${port}` }),
      403,
      "host_not_allowed",
    );
    assertRefused(
      await admin("POST", drainPath, { ...bearer(TOKEN), "Content-Type": "text/plain" }, "{}"),
      415,
      "unsupported_media_type",
    );
    assert.equal(await draining(bearer(TOKEN)), false, "no refused request drained the verifier");
    assert.equal(await draining({ ...bearer(TOKEN), Host: `gateway.test:${port}` }), false);
    assert.equal((await admin("GET", "/admin/keys", bearer(TOKEN))).status, 200);
  });

  it("GATEWAY_ADMIN_API=off: no admin API at all (404), so beyond loopback needs no token", async () => {
    await restartGateway({ GATEWAY_HOST: "0.0.0.0", GATEWAY_ADMIN_TOKEN: "", GATEWAY_ADMIN_API: "off" });
    assertRefused(await admin("GET", "/admin/devices"), 404, "not_found");
    assertRefused(await admin("POST", drainPath), 404, "not_found");
    assertRefused(await admin("GET", "/admin/keys"), 404, "not_found");
    assert.equal((await admin("GET", "/v1/models")).status, 200);
    const document = await admin("GET", "/openapi.json");
    assert.deepEqual(
      Object.keys(document.body.paths as object).filter((path) => path.startsWith("/admin")),
      [],
    );
  });
});
