import { chromium } from "playwright-core";

export interface PageFigures {
  /** From navigation to the first device row on screen, ms. */
  firstRowsMs: number;
  /** Device rows in the DOM (virtualised: a screenful, not the fleet). */
  rowsInDom: number;
  /** Main-thread tasks over 50 ms while the page followed the live feed, and the longest. */
  longTasks: number;
  longestTaskMs: number;
}

/**
 * The page as an operator meets it: headless Chromium opens the dashboard, waits for the fleet
 * table, then watches the main thread for long tasks while the live feed runs for `watchMs`.
 */
export async function measurePage(
  url: string,
  watchMs: number,
  executablePath = "/usr/bin/chromium",
): Promise<PageFigures> {
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    // Page-side code as strings: this project compiles without the DOM's types.
    await page.addInitScript(`
      window.__longTasks = [];
      new PerformanceObserver((list) => list.getEntries().forEach((e) => window.__longTasks.push(e.duration)))
        .observe({ type: "longtask", buffered: true });
    `);
    const started = performance.now();
    await page.goto(url);
    await page.waitForSelector('[data-testid^="device-row-"]', { timeout: 60_000 });
    const firstRowsMs = performance.now() - started;
    await page.evaluate("window.__longTasks.length = 0");
    await page.waitForTimeout(watchMs);
    const tasks = (await page.evaluate("window.__longTasks")) as number[];
    const rowsInDom = await page.locator('[data-testid^="device-row-"]').count();
    return { firstRowsMs, rowsInDom, longTasks: tasks.length, longestTaskMs: Math.max(0, ...tasks) };
  } finally {
    await browser.close();
  }
}
