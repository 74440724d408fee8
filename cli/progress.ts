import cliProgress from "cli-progress";
import type { FleetProgress, InfraLog } from "#infra";

/** Startup feedback: a bar on a terminal, numbered step lines elsewhere (CI, pipes, --console). */
export interface StartupProgress {
  step(progress: FleetProgress): void;
  /** A line that must not break the bar. */
  line(text: string): void;
  stop(): void;
}

export function startupProgress(useBar: boolean): StartupProgress {
  if (!useBar) {
    return {
      step: ({ done, total, step }) => process.stderr.write(`  [${done}/${total}] ${step}\n`),
      line: (text) => process.stderr.write(`${text}\n`),
      stop: () => undefined,
    };
  }
  const bars = new cliProgress.MultiBar(
    {
      format: "  starting fleet [{bar}] {value}/{total} {step}",
      hideCursor: true,
      clearOnComplete: true,
      barsize: 24,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = bars.create(1, 0, { step: "" });
  return {
    step: ({ done, total, step }) => {
      bar.setTotal(total);
      bar.update(done, { step });
      bars.log(`  ✓ ${step}\n`);
    },
    line: (text) => bars.log(`${text}\n`),
    stop: () => bars.stop(),
  };
}

/** What the infra library reports (apt-get output, port retries), printed as plain lines. */
export function progressLog(progress: StartupProgress): InfraLog {
  return {
    info: (fields, message) => {
      if (typeof fields.command === "string") progress.line(`  [${fields.command}] ${message}`);
    },
    warn: (fields, message) => progress.line(`  warning: ${message} ${JSON.stringify(fields)}`),
  };
}
