import cliProgress from "cli-progress";
import type { WriteProgress } from "#gguf";

/** A byte progress bar for writing a model (a bar on a terminal, a few lines elsewhere). */
export function writeProgress(label: string): { update(p: WriteProgress): void; stop(): void } {
  if (!process.stderr.isTTY) {
    let lastTenth = -1;
    return {
      update: (p) => {
        const tenth = p.bytesTotal ? Math.floor((10 * p.bytesDone) / p.bytesTotal) : 10;
        if (tenth === lastTenth) return;
        lastTenth = tenth;
        process.stderr.write(`  ${label}: ${tenth * 10}% (${mb(p.bytesDone)} of ${mb(p.bytesTotal)} MB)\n`);
      },
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `  ${label} [{bar}] {percentage}% {done}/{total} MB  {tensor}`,
      hideCursor: true,
      barsize: 24,
      stream: process.stderr,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (p) => {
      if (!started) {
        bar.start(p.bytesTotal, 0, { done: "0", total: mb(p.bytesTotal), tensor: "" });
        started = true;
      }
      bar.update(p.bytesDone, { done: mb(p.bytesDone), total: mb(p.bytesTotal), tensor: p.tensor });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}
