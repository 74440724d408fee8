import { get, type ClientRequest } from "node:http";
import { createGunzip } from "node:zlib";

/**
 * Reads the dashboard's event stream as a browser would (taking gzip) and counts what crosses
 * the wire (`bytes`, compressed when the server compresses) and the events in it.
 */
export class StreamMeter {
  bytes = 0;
  events = new Map<string, number>();
  private request: ClientRequest | null = null;

  constructor(private readonly url: string) {}

  start(): void {
    this.request = get(this.url, { headers: { Accept: "text/event-stream", "Accept-Encoding": "gzip" } }, (res) => {
      if (res.statusCode !== 200) throw new Error(`${this.url}: ${res.statusCode}`);
      res.on("data", (chunk: Buffer) => (this.bytes += chunk.byteLength));
      const body = res.headers["content-encoding"] === "gzip" ? res.pipe(createGunzip()) : res;
      body.setEncoding("utf8");
      body.on("data", (text: string) => {
        for (const match of text.matchAll(/^event: ?(\w+)/gm))
          this.events.set(match[1]!, (this.events.get(match[1]!) ?? 0) + 1);
      });
      body.on("error", () => undefined);
    });
    this.request.on("error", () => undefined);
  }

  reset(): void {
    this.bytes = 0;
    this.events.clear();
  }

  stop(): void {
    this.request?.destroy();
  }
}
