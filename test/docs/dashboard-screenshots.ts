/**
 * npm run docs:screenshots — the dashboard's pictures in docs/dashboard/, from a real local fleet
 * under load: two verifiers and two drafters of the tiny model (one with a layer dropped, so the
 * pairs differ), four streams at a time for a couple of minutes, a job, and a drain and undrain
 * halfway (so the scheduler's timeline has moves). Then headless Chromium takes each view.
 */
import { join } from "node:path";
import { chromium } from "playwright-core";
import { ensureDerivedModel, RECIPES } from "#models";
import { projectRoot } from "#infra";
import { api } from "../support/jobs-client.js";
import { MODEL, MODEL_PATH, PROMPTS, startTestFleet } from "../support/fleet.js";
import { streamCompletion } from "../support/openai-client.js";

const LOAD_MS = Number(process.env.SCREENSHOT_LOAD_MS ?? 120_000);
const OUT = join(projectRoot(), "docs", "dashboard");

const weaker = await ensureDerivedModel(MODEL_PATH, RECIPES.L4of5, join(projectRoot(), ".cache", "models"));
process.stderr.write("docs:screenshots: starting a fleet (2 verifiers, 2 drafters, the dashboard)…\n");
const fleet = await startTestFleet("docs-screenshots", {
  verifiers: 2,
  drafters: [{ id: "laptop-1" }, { id: "edge-box-2", modelPath: weaker, env: { DEVICE_POWER: "battery:0.62" } }],
  maxSessions: 2,
  window: 4,
  dashboard: true,
  env: { DEVICE_CLASS: "cpu-1t" },
});
try {
  const gateway = fleet.gatewayUrl;
  const dashboard = `${fleet.dashboardUrl!}/dashboard`;
  const until = Date.now() + LOAD_MS;
  let n = 0;
  const client = async () => {
    while (Date.now() < until) {
      const prompt = PROMPTS[n++ % PROMPTS.length]!;
      await streamCompletion(
        gateway,
        { model: MODEL, prompt, max_tokens: 96, temperature: n % 3 === 0 ? 0.8 : 0 },
        () => {},
      );
    }
  };
  const load = Promise.all([client(), client(), client(), client()]);
  const requests = Array.from({ length: 40 }, (_, i) => ({
    custom_id: `r${i}`,
    prompt: PROMPTS[i % 5],
    max_tokens: 48,
  }));
  await api(gateway, "POST", "/v1/jobs", { model: MODEL, requests });
  await new Promise((resolve) => setTimeout(resolve, LOAD_MS / 2));
  const drain = (action: string) => api(fleet.dashboardUrl!, "POST", `/dashboard/api/devices/laptop-1/${action}`, {});
  await drain("drain");
  await new Promise((resolve) => setTimeout(resolve, 5000));
  await drain("undrain");
  await new Promise((resolve) => setTimeout(resolve, LOAD_MS / 2 - 25_000));

  process.stderr.write("docs:screenshots: taking the views…\n");
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: "light" });
  await page.goto(dashboard);
  await page.getByTestId("tab-fleet").waitFor();
  await page.locator('[data-testid^="device-row-"]').first().waitFor();
  await page.waitForTimeout(1500);
  await page.screenshot({ path: join(OUT, "fleet.png") });
  await page.getByTestId("tab-pairs").click();
  await page.locator('[data-testid^="pair-row-"]').first().click();
  await page.waitForTimeout(2000);
  await page.screenshot({ path: join(OUT, "pairs.png") });
  for (const view of ["sessions", "scheduler", "charts"]) {
    await page.getByTestId(`tab-${view}`).click();
    await page.waitForTimeout(2000);
    await page.screenshot({ path: join(OUT, `${view}.png`) });
  }
  await browser.close();
  await load;
  process.stderr.write(`docs:screenshots: ${OUT}/{fleet,pairs,sessions,scheduler,charts}.png\n`);
} finally {
  await fleet.stop();
}
