import type { Response } from "express";
import { HttpApiError } from "#http";

/**
 * Sends `chunks` as server-sent events (`data: <json>`), then `data: [DONE]`. An error after the
 * stream began is sent as OpenAI's error object, as the last event before `[DONE]`. A client that
 * left gets nothing more (the chunks' source is closed, which cancels its session).
 */
export async function sendEventStream(
  res: Response,
  chunks: AsyncIterable<unknown>,
  clientGone: () => boolean,
): Promise<void> {
  res.status(200).set({ "Content-Type": "text/event-stream", "Cache-Control": "no-cache", Connection: "keep-alive" });
  res.flushHeaders();
  const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
  try {
    for await (const chunk of chunks) {
      if (clientGone()) return;
      send(chunk);
    }
  } catch (err) {
    const error = err instanceof HttpApiError ? err : new HttpApiError(500, (err as Error).message, "server_error");
    send(error.body());
  }
  res.end("data: [DONE]\n\n");
}
