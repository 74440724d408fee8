import { connect } from "node:net";

/** What came back on a raw connection: the status, headers and body, and whether the server closed it. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  closedByServer: boolean;
  /** ms from connecting until the server closed the connection (or the response ended). */
  elapsedMs: number;
}

/**
 * Sends bytes as they are (a malformed request, headers sent slowly, a body that stalls) and reads
 * whatever the server answers until it closes the connection or `waitMs` pass. For what fetch
 * will not send.
 */
export function rawRequest(
  url: string,
  parts: Array<string | Buffer | { pauseMs: number }>,
  waitMs = 60_000,
): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    let closedByServer = false;
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("end", () => {
      closedByServer = true;
    });
    socket.on("error", () => {
      closedByServer = true;
    });
    socket.on("close", () => {
      clearTimeout(timer);
      try {
        resolve({ ...parse(Buffer.concat(chunks).toString("utf8")), closedByServer, elapsedMs: Date.now() - started });
      } catch (error) {
        reject(error as Error);
      }
    });
    socket.once("connect", () => {
      void (async () => {
        for (const part of parts) {
          if (socket.destroyed) return;
          if (typeof part === "object" && "pauseMs" in part) await new Promise((r) => setTimeout(r, part.pauseMs));
          else socket.write(part);
        }
      })();
    });
  });
}

function parse(text: string): Pick<RawResponse, "status" | "headers" | "body"> {
  const split = text.indexOf("\r\n\r\n");
  const head = split < 0 ? text : text.slice(0, split);
  const [statusLine = "", ...lines] = head.split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers, body: split < 0 ? "" : text.slice(split + 4) };
}
