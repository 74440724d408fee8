import { after, before, describe, it } from "node:test";
import { ADMISSION_PROMPTS as PROMPTS, AdmissionFleet, settle } from "../support/admission-fleet.js";

/**
 * The durable queue under faults (in `npm run test:chaos`: SIGKILLs, about 30 s): queued and
 * running requests survive a SIGKILLed scheduler, and a SIGKILLed redis-server restarted on its
 * append-only file; every answer token-identical to the target alone.
 */
describe("admission: the durable queue through SIGKILLs", () => {
  let admission: AdmissionFleet;

  before(async () => {
    admission = await AdmissionFleet.start("admission-chaos");
  });

  after(async () => {
    await admission?.stop();
  });

  it("keeps running and queued requests through a SIGKILLed scheduler", async () => {
    const { fleet } = admission;
    const running = admission.request(PROMPTS[0]!);
    await settle(300);
    const queued = admission.request(PROMPTS[1]!);
    await settle(200);
    fleet.processes.get("scheduler")!.kill("SIGKILL");
    await settle(300);
    await fleet.restart("scheduler");
    const [a, b] = await Promise.all([running, queued]);
    await admission.assertReference(a, PROMPTS[0]!);
    await admission.assertReference(b, PROMPTS[1]!);
  });

  it("loses no queued request when redis-server is SIGKILLed and restarted on its append-only file", async () => {
    const { fleet, harness } = admission;
    const running = admission.request(PROMPTS[2]!);
    await settle(300);
    const queued = admission.request(PROMPTS[3]!);
    await settle(200);
    harness.redis.kill("SIGKILL");
    await harness.redis.exited;
    // With the scheduler killed too, its queue can only come back from redis-server's file.
    fleet.processes.get("scheduler")!.kill("SIGKILL");
    await harness.restartRedis();
    await fleet.restart("scheduler");
    const [a, b] = await Promise.all([running, queued]);
    await admission.assertReference(a, PROMPTS[2]!);
    await admission.assertReference(b, PROMPTS[3]!);
  });
});
