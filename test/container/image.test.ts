import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { FleetSecrets, freePort, projectRoot, startNats, startRedis, type ServerHandle } from "#infra";
import { complete } from "../support/openai-client.js";
import { MODEL, MODEL_PATH } from "../support/fleet.js";
import { referenceCompletions } from "../support/reference.js";
import { startContainerFleet, type ContainerFleet } from "./container-fleet.js";
import { containerScript, imageExists, podman, run } from "./podman.js";

const BASE_IMAGE = "localhost/specfleet-base:node20";
/**
 * SPECFLEET_TEST_IMAGE: an image scripts/container/build.sh already made, used as it is (neither
 * built nor removed), to work on the fleet part without a build each run.
 */
const GIVEN_IMAGE = process.env.SPECFLEET_TEST_IMAGE;
const IMAGE = GIVEN_IMAGE ?? `localhost/specfleet-test:${process.pid}`;
const HEALTH_COMMAND = ["node", "/app/dist/cli/specfleet.js", "health"];
const PROMPTS = ["Once upon a time", "The little dog"];
const MAX_TOKENS = 48;
/** This machine's CAs, handed to npm inside the build (a TLS-inspecting proxy may stand before the registry). */
const SYSTEM_CAS = "/etc/ssl/certs/ca-certificates.crt";

/** Why containers cannot run here (the reason to skip), or null. */
async function containersUnavailable(): Promise<string | null> {
  if (process.getuid?.() !== 0) return "needs root (rootful podman, debootstrap for the base image)";
  const probe = await run("bash", [join(projectRoot(), "scripts", "container", "ensure-podman.sh")], {
    timeoutMs: 600_000,
  });
  return probe.status === 0 ? null : `podman cannot run containers here: ${probe.stderr.trim() || probe.stdout.trim()}`;
}

const unavailable = await containersUnavailable();

/**
 * Issue 15 item 1: the image built from the repo's Containerfile (all stages, npm install inside, on a
 * locally made Debian base) runs registry, scheduler, gateway, a verifier and a drafter as a secured
 * fleet (nats-server and redis-server on this machine, per-role credentials mounted as the chart
 * mounts them), and a greedy completion through it equals the target model decoding alone.
 */
void describe("the container image", { skip: unavailable ?? false }, () => {
  const made: string[] = [];
  const servers: ServerHandle[] = [];
  const workDir = mkdtempSync(join(tmpdir(), "specfleet-container-"));
  let fleet: ContainerFleet | undefined;

  before(async () => {
    if (GIVEN_IMAGE !== undefined) return;
    if (!(await imageExists(BASE_IMAGE))) {
      made.push(BASE_IMAGE);
      const started = Date.now();
      console.log(await containerScript("base-image.sh", [], 900_000));
      console.log(`base image: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    const started = Date.now();
    made.push(IMAGE);
    const ca = existsSync(SYSTEM_CAS) ? ["--ca", SYSTEM_CAS] : [];
    const output = await containerScript(
      "build.sh",
      // No intermediate images are kept: the test leaves only what it found (npm's download cache stays).
      ["--base", BASE_IMAGE, "--tag", IMAGE, "--network", "host", ...ca, "--", "--layers=false"],
      3_000_000,
    );
    console.log(
      output
        .split("\n")
        .filter((line) => line.startsWith("build.sh:"))
        .join("\n"),
    );
    console.log(`image build: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  });

  after(async () => {
    await fleet?.stop();
    for (const server of servers.reverse()) await server.stop();
    for (const image of made.reverse()) await run("podman", ["rmi", "--force", image]);
    rmSync(workDir, { recursive: true, force: true });
  });

  void it("is configured as the chart expects: non-root, entrypoint, health check, labels; no model inside", async () => {
    const [inspected] = JSON.parse(await podman(["image", "inspect", IMAGE])) as Array<{
      Config: { User: string; Entrypoint: string[]; Labels: Record<string, string>; Env: string[] };
      Healthcheck?: { Test: string[] };
      Size: number;
    }>;
    const { Config: config, Healthcheck: healthcheck, Size: size } = inspected!;
    assert.equal(config.User, "10001:10001");
    assert.deepEqual(config.Entrypoint, ["node", "/app/dist/cli/specfleet.js"]);
    assert.deepEqual(healthcheck?.Test, ["CMD", ...HEALTH_COMMAND]);
    const version = (JSON.parse(readFileSync(join(projectRoot(), "package.json"), "utf8")) as { version: string })
      .version;
    assert.equal(config.Labels["org.opencontainers.image.version"], version);
    assert.ok(config.Env.includes("MODEL_CACHE_DIR=/models-cache"));
    console.log(`image size: ${(size / 1e6).toFixed(0)} MB (${IMAGE})`);
    // What the image holds: the CPU build of llama.cpp only, the dashboard's page, no model, no GPU builds.
    const listing = await podman([
      "run",
      "--rm",
      "--entrypoint",
      "sh",
      IMAGE,
      "-c",
      "id -u; ls /app/node_modules/@node-llama-cpp; ls /app/dist/dashboard-ui; " +
        "find / -xdev -name '*.gguf' | wc -l; test -w /models-cache && echo cache-writable; " +
        "test -w /app && echo app-writable || echo app-read-only",
    ]);
    const lines = listing.split("\n");
    assert.equal(lines[0], "10001", "runs as uid 10001");
    assert.deepEqual(lines.slice(1, 2), ["linux-x64"]);
    assert.ok(lines.includes("index.html") && lines.includes("app.js"), listing);
    assert.ok(lines.includes("0"), `no GGUF file in the image:\n${listing}`);
    assert.ok(lines.includes("cache-writable") && lines.includes("app-read-only"), listing);
  });

  void it("runs the fleet from the image and answers as the target model alone", async () => {
    const secrets = await FleetSecrets.prepare(join(workDir, "secrets"));
    const nats = await startNats({ config: secrets.natsConfig.bind(secrets) });
    servers.push(nats);
    const redis = await startRedis({ acl: secrets.redisAcl() });
    servers.push(redis);
    fleet = await startContainerFleet({
      image: IMAGE,
      namePrefix: `specfleet-test-${process.pid}`,
      secrets,
      natsUrl: nats.url,
      redisUrl: redis.url,
      modelPath: MODEL_PATH,
      workDir: join(workDir, "mounted"),
      logDir: join(projectRoot(), ".cache", "test-logs", "container"),
    });
    const reference = await referenceCompletions(MODEL_PATH, PROMPTS, MAX_TOKENS);
    for (const prompt of PROMPTS) {
      const answer = await complete(fleet.gatewayUrl, { model: MODEL, prompt, max_tokens: MAX_TOKENS });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const expected = await reference.for(prompt, answer.tokenIds);
      assert.deepEqual(answer.tokenIds, expected.tokens, `token ids for ${JSON.stringify(prompt)}`);
      assert.equal(answer.text, expected.text);
      assert.equal(answer.finishReason, expected.finishReason);
    }

    // The image's HEALTHCHECK (`specfleet health`) in each container: its actor answers.
    for (const [name, container] of fleet.containers) {
      const check = await run("podman", ["healthcheck", "run", container]);
      assert.equal(check.status, 0, `${name}'s health check: ${check.stdout}${check.stderr}`);
      const uid = await podman(["exec", container, "node", "-p", "process.getuid()"]);
      assert.equal(uid, "10001", `${name} runs as uid 10001`);
    }
    // …and fails when nothing answers where it looks.
    const verifier = fleet.containers.get("verifier-1")!;
    const silent = await run("podman", [
      "exec",
      "--env",
      `HEALTH_PORT=${await freePort()}`,
      verifier,
      ...HEALTH_COMMAND,
    ]);
    assert.equal(silent.status, 1, `${silent.stdout}${silent.stderr}`);
  });
});
