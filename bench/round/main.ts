/**
 * bench:round — what one speculative round costs through the fleet (drafter and verifier in
 * separate processes, over loopback NATS) against the same round in one process, with the same
 * models, prompts and γ. Both run in this one invocation, interleaved, so the ratio is fair on a
 * noisy machine.
 */
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { defaultModelPath } from "#infra";
import { PROMPTS as TEST_PROMPTS } from "../../test/support/fleet.js";
import { median, printTable } from "../support/report.js";
import { FleetPath } from "./fleet-path.js";
import { InProcessPath } from "./in-process-path.js";

const argv = await yargs(hideBin(process.argv))
  .scriptName("bench:round")
  .usage("$0 [options]\n\nms per speculative round: through the fleet over NATS vs in one process.")
  .option("model", { type: "string", default: defaultModelPath(), describe: "GGUF used as both target and drafter" })
  .option("window", { type: "number", default: 4, describe: "γ, tokens drafted per round" })
  .option("max-tokens", { type: "number", default: 128, describe: "tokens generated per request" })
  .option("repeats", { type: "number", default: 5, describe: "interleaved repetitions of each path" })
  .strict()
  .help()
  .parseAsync();

const prompts = [...TEST_PROMPTS];
const options = { modelPath: argv.model, window: argv.window, maxTokens: argv["max-tokens"], prompts };

process.stderr.write("bench:round: starting the fleet (1 verifier, 1 drafter) and the in-process models…\n");
const fleet = await FleetPath.start(options);
const local = await InProcessPath.start(options);
try {
  await fleet.run(); // warm-up: first-touch costs out of the measurement
  await local.run();
  const fleetMs: number[] = [];
  const localMs: number[] = [];
  let tokensEqual = true;
  for (let i = 0; i < argv.repeats; i++) {
    const a = await fleet.run();
    const b = await local.run();
    fleetMs.push(a.msPerRound);
    localMs.push(b.msPerRound);
    tokensEqual &&= JSON.stringify(a.tokens) === JSON.stringify(b.tokens);
    process.stderr.write(
      `  repeat ${i + 1}/${argv.repeats}: fleet ${a.msPerRound.toFixed(3)} ms/round, in-process ${b.msPerRound.toFixed(3)} ms/round\n`,
    );
  }
  const f = median(fleetMs);
  const l = median(localMs);
  printTable(
    `ms per round, γ = ${argv.window}, ${prompts.length} prompts × ${argv["max-tokens"]} tokens, median of ${argv.repeats}`,
    ["path", "ms/round (median)", "min", "max"],
    [
      [
        "fleet (2 processes, NATS loopback)",
        f.toFixed(3),
        Math.min(...fleetMs).toFixed(3),
        Math.max(...fleetMs).toFixed(3),
      ],
      ["in-process loop", l.toFixed(3), Math.min(...localMs).toFixed(3), Math.max(...localMs).toFixed(3)],
    ],
  );
  console.log(`fleet / in-process: ${(f / l).toFixed(2)}×   (same tokens both ways: ${tokensEqual ? "yes" : "NO"})`);
  if (!tokensEqual) process.exitCode = 1;
} finally {
  await local.stop();
  await fleet.stop();
}
