import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { applyDashboardDelta, type DashboardDelta, type DashboardState } from "#contracts";
import { projectRoot } from "#infra";
import { dashboardUrlOf, MODEL } from "../support/fleet.js";
import { streamCompletion } from "../support/openai-client.js";
import { startProxiedFleet, type ProxiedFleet } from "../support/proxied-fleet.js";

const ADMIN = "dashboard-api-admin";
const VIEWER = "dashboard-api-viewer";
const WORKERS = ["verifier-1", "drafter-1"];
/** Generous: these wait for something to happen, they do not time it. */
const WAIT_MS = 60_000;

const run = promisify(execFile);
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Reads a server-sent event stream, calling `onEvent` for each event until it returns true. */
async function readEvents(
  response: Response,
  onEvent: (event: string, data: unknown) => boolean,
  signal: AbortSignal,
): Promise<void> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  signal.addEventListener("abort", () => void reader.cancel().catch(() => undefined));
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the stream ended");
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event !== undefined && data !== undefined && onEvent(event, JSON.parse(data))) {
        await reader.cancel();
        return;
      }
    }
  }
}

/**
 * The dashboard service on a real fleet (one verifier, one drafter reaching NATS through a 10 ms
 * proxy so a session lasts a while), behind the gateway's admin token and a viewer token.
 */
describe("dashboard API", () => {
  let harness: ProxiedFleet;
  let url: string;
  let api: string;

  before(async () => {
    harness = await startProxiedFleet("dashboard-api", {
      verifiers: ["verifier-1"],
      drafters: ["drafter-1"],
      maxSessions: 2,
      dashboard: true,
      serviceEnv: {
        gateway: { GATEWAY_ADMIN_TOKEN: ADMIN },
        dashboard: { DASHBOARD_VIEWER_TOKEN: VIEWER },
        scheduler: { SCHEDULER_INSIGHT_MS: "200" },
      },
    });
    url = dashboardUrlOf(harness.fleet);
    api = `${url}/dashboard/api`;
  });

  after(async () => {
    await harness?.stop();
  });

  it("lists every worker in the state, for a token's role only", async () => {
    const unauthenticated = await fetch(`${api}/state`);
    assert.equal(unauthenticated.status, 401);
    assert.equal(((await unauthenticated.json()) as { error: { code: string } }).error.code, "not_logged_in");
    const state = await eventually("every worker in the state", async () => {
      const body = (await (await fetch(`${api}/state`, { headers: bearer(VIEWER) })).json()) as DashboardState;
      return WORKERS.every((id) => body.devices.some((d) => d.id === id && d.state === "ready")) ? body : undefined;
    });
    assert.equal(state.role, "viewer");
    assert.equal(state.devices.find((d) => d.id === "drafter-1")?.role, "drafter");
    assert.equal(state.devices.find((d) => d.id === "verifier-1")?.model, MODEL);
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200, "liveness needs no token");
  });

  it("shows a running request's session in the state and the stream while it runs, and its pair", async () => {
    const aborter = new AbortController();
    const stream = await fetch(`${api}/stream`, { headers: bearer(ADMIN), signal: aborter.signal });
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get("content-type") ?? "", /^text\/event-stream/);
    let view: DashboardState | null = null;
    let sawSessionInStream = false;
    let firstEvent: string | null = null;
    const following = readEvents(
      stream,
      (event, data) => {
        firstEvent ??= event;
        if (event === "state") view = data as DashboardState;
        if (event === "delta" && view) view = applyDashboardDelta(view, data as DashboardDelta);
        sawSessionInStream ||= (view?.sessions.length ?? 0) > 0;
        return sawSessionInStream;
      },
      aborter.signal,
    );
    let chunks = 0;
    const completion = streamCompletion(
      harness.fleet.gatewayUrl,
      { model: MODEL, prompt: "Once upon a time", max_tokens: 400 },
      () => {
        chunks += 1;
      },
    );
    await eventually("a token streamed", async () => (chunks > 0 ? true : undefined));
    const session = await eventually("the session in the state", async () => {
      const body = (await (await fetch(`${api}/state`, { headers: bearer(ADMIN) })).json()) as DashboardState;
      return body.sessions.find((s) => s.verifierId === "verifier-1");
    });
    assert.equal(session.model, MODEL);
    await following;
    const result = await completion;
    assert.equal(firstEvent, "state", "a stream starts with the whole state");
    assert.ok(sawSessionInStream, "the stream showed the session");
    assert.ok(result.tokenIds.length > 0);
    const pair = await eventually("the pair's rounds", async () => {
      const body = (await (await fetch(`${api}/state`, { headers: bearer(ADMIN) })).json()) as DashboardState;
      return body.pairs.find((p) => p.verifierId === "verifier-1" && p.drafterId === "drafter-1" && p.rounds > 0);
    });
    assert.ok(pair.meanWindow === null || pair.meanWindow >= 0);
    const history = await eventually("the pair's history", async () => {
      const response = await fetch(`${api}/pairs/verifier-1/drafter-1/history`, { headers: bearer(VIEWER) });
      return response.status === 200 ? ((await response.json()) as { points: unknown[] }) : undefined;
    });
    assert.ok(history.points.length > 0);
    const unknown = await fetch(`${api}/pairs/verifier-1/nobody/history`, { headers: bearer(VIEWER) });
    assert.equal(unknown.status, 404);
  });

  it("logs in with a token into an HttpOnly cookie; a viewer may not drain; another site may not log in", async () => {
    const wrong = await fetch(`${api}/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: "not-a-token" }),
    });
    assert.equal(wrong.status, 401);
    const crossSite = await fetch(`${api}/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Origin: "http://evil.example" },
      body: JSON.stringify({ token: ADMIN }),
    });
    assert.equal(crossSite.status, 403);
    const login = await fetch(`${api}/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Origin: url },
      body: JSON.stringify({ token: VIEWER }),
    });
    assert.equal(login.status, 200);
    const setCookie = login.headers.get("set-cookie") ?? "";
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    const cookie = setCookie.split(";")[0]!;
    const me = (await (await fetch(`${api}/me`, { headers: { Cookie: cookie } })).json()) as { role: string };
    assert.equal(me.role, "viewer");
    const drain = await fetch(`${api}/devices/drafter-1/drain`, { method: "POST", headers: { Cookie: cookie } });
    assert.equal(drain.status, 403);
    assert.equal(((await drain.json()) as { error: { code: string } }).error.code, "admin_only");
    const form = await fetch(`${api}/devices/drafter-1/drain`, {
      method: "POST",
      headers: { ...bearer(ADMIN), "Content-Type": "application/x-www-form-urlencoded" },
      body: "a=1",
    });
    assert.equal(form.status, 415, "a form post (a cross-site browser's) is refused");
    assert.deepEqual(await (await fetch(`${api}/me`)).json(), { role: null, open: false }, "not logged in");
  });

  it("drains and undrains a device (seen through the gateway's admin API); unknown and bad ids are clear errors", async () => {
    const gatewayDevice = async () => {
      const response = await fetch(`${harness.fleet.gatewayUrl}/admin/devices`, { headers: bearer(ADMIN) });
      const body = (await response.json()) as { data: { id: string; draining: boolean; state: string }[] };
      return body.data.find((d) => d.id === "drafter-1")!;
    };
    const drained = await fetch(`${api}/devices/drafter-1/drain`, { method: "POST", headers: bearer(ADMIN) });
    assert.equal(drained.status, 200);
    assert.deepEqual(await drained.json(), { id: "drafter-1", state: "draining", draining: true });
    assert.equal((await gatewayDevice()).draining, true);
    await eventually("the drained state in the dashboard", async () => {
      const body = (await (await fetch(`${api}/state`, { headers: bearer(ADMIN) })).json()) as DashboardState;
      return body.devices.find((d) => d.id === "drafter-1")?.state === "draining" ? true : undefined;
    });
    const undrained = await fetch(`${api}/devices/drafter-1/undrain`, {
      method: "POST",
      headers: { ...bearer(ADMIN), "Content-Type": "application/json" },
      body: "{}",
    });
    assert.equal(undrained.status, 200);
    assert.equal((await gatewayDevice()).draining, false);
    const unknown = await fetch(`${api}/devices/nobody/drain`, { method: "POST", headers: bearer(ADMIN) });
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, "device_not_found");
    const bad = await fetch(`${api}/devices/no%20such/drain`, { method: "POST", headers: bearer(ADMIN) });
    assert.equal(bad.status, 400);
  });

  it("serves the fleet's metrics from several actors, behind a token", async () => {
    assert.equal((await fetch(`${url}/metrics`)).status, 401);
    const text = await eventually("metrics from the gateway and the verifier", async () => {
      const response = await fetch(`${url}/metrics`, { headers: bearer(VIEWER) });
      assert.equal(response.status, 200);
      const body = await response.text();
      const actors = new Set([...body.matchAll(/actor="([^"]+)"/g)].map((m) => m[1]));
      return ["dashboard", "gateway", "verify-worker", "scheduler"].every((a) => actors.has(a)) ? body : undefined;
    });
    assert.match(text, /^process_cpu_user_seconds_total\{[^}]*actor="dashboard"/m, "the dashboard's own series");
    assert.match(text, /^specfleet:[a-z_:]+\{[^}]*actor="gateway"/m);
    assert.match(text, /^specfleet:[a-z_:]+\{[^}]*actor="verify-worker"/m);
  });

  it("prints the fleet in a terminal: specfleet fleet status, its --json, and a clear error without a token", async () => {
    const cli = join(projectRoot(), "dist", "cli", "specfleet.js");
    const status = await run(process.execPath, [cli, "fleet", "status", "--dashboard", url, "--admin-token", VIEWER]);
    for (const id of WORKERS) assert.match(status.stdout, new RegExp(`^│? ?${id} `, "m"), `${id} in the table`);
    assert.match(status.stdout, /devices: 2 \(2 ready\)/);
    assert.match(status.stdout, /as viewer/);
    const json = await run(process.execPath, [cli, "fleet", "status", "--dashboard", url, "--json"], {
      env: { ...process.env, SPECFLEET_ADMIN_TOKEN: ADMIN },
    });
    const state = JSON.parse(json.stdout) as DashboardState;
    assert.deepEqual(state.devices.map((d) => d.id).sort(), [...WORKERS].sort());
    assert.equal(state.role, "admin");
    const refused = await run(process.execPath, [cli, "fleet", "status", "--dashboard", url], {
      env: { ...process.env, SPECFLEET_ADMIN_TOKEN: "" },
    }).then(
      () => assert.fail("a dashboard with tokens must refuse the CLI without one"),
      (error: { stderr: string }) => error.stderr,
    );
    assert.match(refused, /needs a token.*--admin-token or SPECFLEET_ADMIN_TOKEN/);
  });
});
