// The part of cli-progress 3.12 this CLI uses (the package ships no types).
declare module "cli-progress" {
  interface Options {
    format?: string;
    stream?: NodeJS.WritableStream;
    hideCursor?: boolean;
    clearOnComplete?: boolean;
    stopOnComplete?: boolean;
    barsize?: number;
    autopadding?: boolean;
  }
  interface Bar {
    update(value: number, payload?: Record<string, unknown>): void;
    setTotal(total: number): void;
  }
  interface MultiBar {
    create(total: number, start: number, payload?: Record<string, unknown>): Bar;
    /** Printed above the bars on the next redraw; include the newline. */
    log(text: string): void;
    stop(): void;
  }
  const cliProgress: {
    MultiBar: new (options: Options, preset?: unknown) => MultiBar;
    Presets: { shades_classic: unknown; shades_grey: unknown; rect: unknown; legacy: unknown };
  };
  export default cliProgress;
}
