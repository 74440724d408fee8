import type { Response } from "express";
import { FINISHED, type JobState } from "./job.js";
import type { JobStore } from "./job-store.js";
import { jobView } from "./job-view.js";

/** How often a follower's stream looks for new events (well under a second behind). */
const POLL_MS = 250;
/** A comment line this often keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

/**
 * `GET /v1/jobs/{id}/events`: server-sent events. First `job` (the job as `GET` shows it), then
 * `status` and `request` events as they are recorded, each with its stream id as the SSE `id`
 * (a client reconnecting with `Last-Event-ID` misses nothing kept), a `progress` event after each
 * batch of them, and `done` once the job has finished, when the stream ends.
 */
export async function followJob(store: JobStore, job: JobState, res: Response, lastEventId: string | undefined) {
  res.status(200).set({ "Content-Type": "text/event-stream", "Cache-Control": "no-cache", Connection: "keep-alive" });
  res.flushHeaders();
  let closed = false;
  res.on("close", () => (closed = true));
  const send = (event: string, data: unknown, id?: string) =>
    res.write(`${id ? `id: ${id}\n` : ""}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const id = job.record.id;
  let after = validStreamId(lastEventId) ?? (await store.lastEventId(id));
  if (!lastEventId) send("job", jobView(job, null));
  let quietSince = Date.now();
  while (!closed) {
    const events = await store.events(id, after);
    for (const { id: eventId, event } of events) {
      send(event.type, event, eventId);
      after = eventId;
    }
    const now = await store.get(id);
    if (events.length > 0 && now) {
      send("progress", jobView(now, null).progress);
      quietSince = Date.now();
    }
    if (!now || FINISHED.has(now.status)) {
      // Events recorded just before the end are sent before `done`.
      for (const { id: eventId, event } of await store.events(id, after)) send(event.type, event, eventId);
      send("done", now ? jobView(now, null) : { id, status: "expired" });
      break;
    }
    if (Date.now() - quietSince > HEARTBEAT_MS) {
      res.write(": still running\n\n");
      quietSince = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  res.end();
}

function validStreamId(id: string | undefined): string | null {
  return id && /^\d+-\d+$/.test(id) ? id : null;
}
