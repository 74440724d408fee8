/** Reads the dashboard's event stream as a browser would and counts what arrives. */
export class StreamMeter {
  bytes = 0;
  events = new Map<string, number>();
  private readonly abort = new AbortController();
  private done: Promise<void> = Promise.resolve();

  constructor(private readonly url: string) {}

  start(): void {
    this.done = (async () => {
      const response = await fetch(this.url, { headers: { Accept: "text/event-stream" }, signal: this.abort.signal });
      if (!response.ok || !response.body) throw new Error(`${this.url}: ${response.status}`);
      const decoder = new TextDecoder();
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        this.bytes += chunk.byteLength;
        for (const match of decoder.decode(chunk, { stream: true }).matchAll(/^event: ?(\w+)/gm))
          this.events.set(match[1]!, (this.events.get(match[1]!) ?? 0) + 1);
      }
    })().catch((error: unknown) => {
      if (!this.abort.signal.aborted) throw error;
    });
  }

  reset(): void {
    this.bytes = 0;
    this.events.clear();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}
