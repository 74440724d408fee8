/** One call's work for SpecFleet's native runner (native/llama/runner.cc), per sequence. */
export interface NativeJob {
  seq: number;
  /** Cells of `seq` from here on are erased before `tail` is evaluated. */
  keep: number;
  tail: Uint32Array;
  /** Tokens to draft greedily after the tail (a draft job). */
  window: number;
  /** A verify pass: the argmax after each tail token from this index on (`window` is 0). */
  predictFrom?: number;
}

/** What a native sequence needs of the model it runs on (native-model.ts). */
export interface NativeJobRunner {
  /** The job, run with every other asked for in the same turn of the event loop. */
  run(job: NativeJob): Promise<number[]>;
  /** The sequence is free again (its cells are erased by its next user's first job). */
  release(seq: number): void;
}
