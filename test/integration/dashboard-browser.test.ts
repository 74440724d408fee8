import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { MODEL } from "../support/fleet.js";
import { streamCompletion } from "../support/openai-client.js";
import { startProxiedFleet, type ProxiedFleet } from "../support/proxied-fleet.js";

/** Debian's chromium, driven by playwright-core (no browser download). */
const CHROMIUM = "/usr/bin/chromium";
const ADMIN_TOKEN = "dashboard-browser-admin";
const VIEWER_TOKEN = "dashboard-browser-viewer";
const DRAFTERS = ["drafter-1", "drafter-2"];
const WORKERS = ["verifier-1", ...DRAFTERS];
const SHOTS = ".cache/test-logs/dashboard-browser";
/** Generous: these wait for something to happen, they do not time it. */
const WAIT_MS = 60_000;

/**
 * The dashboard in a real browser (headless Chromium) against a real local fleet (one verifier,
 * two drafters reaching NATS through a 10 ms proxy, so a session runs a while), behind an admin
 * token: the login, every worker listed, a running request's session shown while it runs, a
 * drain from the page (checked through the gateway's admin API), a SIGKILLed drafter turning
 * lost, a viewer without drain buttons, and no console error or warning on any view. Each view's
 * screenshot goes to .cache/test-logs/dashboard-browser/.
 */
describe(
  "dashboard in a browser",
  { skip: existsSync(CHROMIUM) ? false : `no ${CHROMIUM}: apt-get install chromium` },
  () => {
    let harness: ProxiedFleet;
    let browser: Browser;
    let dashboard: string;
    const problems: string[] = [];

    before(async () => {
      harness = await startProxiedFleet("dashboard-browser", {
        verifiers: ["verifier-1"],
        drafters: DRAFTERS,
        maxSessions: 2,
        window: 4,
        dashboard: true,
        serviceEnv: {
          gateway: { GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN },
          dashboard: { DASHBOARD_VIEWER_TOKEN: VIEWER_TOKEN },
          scheduler: { SCHEDULER_INSIGHT_MS: "200" },
        },
      });
      assert.ok(harness.fleet.dashboardUrl, "the fleet runs a dashboard");
      dashboard = `${harness.fleet.dashboardUrl}/dashboard`;
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      await mkdir(SHOTS, { recursive: true });
    });

    after(async () => {
      await browser?.close();
      await harness?.stop();
    });

    /** A page that records every console error and warning, and uncaught exceptions. */
    async function openPage(context: BrowserContext, label: string): Promise<Page> {
      const page = await context.newPage();
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") problems.push(`${label} ${m.type()}: ${m.text()}`);
      });
      page.on("pageerror", (e) => problems.push(`${label} exception: ${e.message}`));
      return page;
    }

    /** Logs in through the form (before it, `GET /dashboard/api/me` answers `role: null`: no console error). */
    async function logIn(page: Page, token: string): Promise<void> {
      await page.goto(dashboard);
      await page.getByTestId("login-token").fill(token);
      await page.getByTestId("login-submit").click();
      await page.getByTestId("tab-fleet").waitFor({ timeout: WAIT_MS });
    }

    /** Waits until the Fleet view's state badge of a device reads `state`. */
    async function badge(page: Page, id: string, state: string): Promise<void> {
      await page
        .getByTestId(`state-${id}`)
        .filter({ hasText: new RegExp(`^${state}$`) })
        .waitFor({ timeout: WAIT_MS });
    }

    async function adminDevice(id: string): Promise<{ state: string; draining: boolean }> {
      const response = await fetch(`${harness.fleet.gatewayUrl}/admin/devices`, {
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { data: Array<{ id: string; state: string; draining: boolean }> };
      const device = body.data.find((d) => d.id === id);
      assert.ok(device, `${id} in /admin/devices`);
      return device;
    }

    it("logs in, lists every worker, shows a running session, drains from the page, and marks a killed drafter lost", async () => {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await openPage(context, "admin");
      await logIn(page, ADMIN_TOKEN);

      for (const id of WORKERS) await badge(page, id, "ready");
      await page.screenshot({ path: `${SHOTS}/fleet.png` });

      // Requests one after another until the page has shown one of their sessions running.
      let shown = false;
      const load = (async () => {
        while (!shown) {
          await streamCompletion(
            harness.fleet.gatewayUrl,
            { model: MODEL, prompt: "Once upon a time", max_tokens: 400 },
            () => undefined,
          );
        }
      })();
      await page.getByTestId("tab-sessions").click();
      const row = page.locator('[data-testid^="session-row-"]').first();
      await row.waitFor({ timeout: WAIT_MS });
      assert.match((await row.textContent()) ?? "", new RegExp(`${MODEL}.*verifier-1`));
      await page.screenshot({ path: `${SHOTS}/sessions.png`, fullPage: true });
      // The pair in use, once the drafter's rounds have reached the dashboard.
      await page.getByTestId("tab-pairs").click();
      await page
        .locator('[data-testid^="pair-rounds-"]')
        .filter({ hasText: /^[1-9]\d*$/ })
        .first()
        .waitFor({ timeout: WAIT_MS });
      await page.screenshot({ path: `${SHOTS}/pairs.png`, fullPage: true });
      shown = true;
      await load;

      await page.getByTestId("tab-scheduler").click();
      await page.getByTestId("scheduler-policy").filter({ hasText: "least-loaded" }).waitFor({ timeout: WAIT_MS });
      await page.screenshot({ path: `${SHOTS}/scheduler.png`, fullPage: true });
      await page.getByTestId("tab-charts").click();
      await page.getByTestId("chart-throughput").locator("canvas").waitFor({ timeout: WAIT_MS });
      await page.screenshot({ path: `${SHOTS}/charts.png`, fullPage: true });
      assert.match(page.url(), /#charts$/, "the tab is kept in the URL's hash");

      // Drain from the page, after a confirmation; the gateway's admin API sees it.
      await page.getByTestId("tab-fleet").click();
      await page.getByTestId("drain-drafter-1").click();
      await page.getByTestId("confirm-drain").click();
      await badge(page, "drafter-1", "draining");
      assert.equal((await adminDevice("drafter-1")).draining, true);
      await page.getByTestId("undrain-drafter-1").waitFor();

      // A drafter killed outright goes silent: the registry marks it lost, and the page shows it.
      harness.fleet.processes.get("drafter-2")!.kill("SIGKILL");
      await badge(page, "drafter-2", "lost");
      assert.equal((await adminDevice("drafter-2")).state, "lost");
      await context.close();
    });

    it("shows a viewer no drain buttons", async () => {
      const context = await browser.newContext();
      const page = await openPage(context, "viewer");
      await logIn(page, VIEWER_TOKEN);
      await badge(page, "verifier-1", "ready");
      assert.equal(await page.locator('[data-testid^="drain-"], [data-testid^="undrain-"]').count(), 0);
      await context.close();
    });

    it("logged no console error or warning", () => {
      assert.deepEqual(problems, []);
    });
  },
);
