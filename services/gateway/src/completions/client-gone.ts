import type { Response } from "express";

/** Aborted when the client closes the connection before its answer was sent. */
export function clientGoneSignal(res: Response): AbortSignal {
  const gone = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) gone.abort();
  });
  return gone.signal;
}
