const REPLACEMENT = "\uFFFD";

/**
 * Turns a growing token list into text deltas. The generated tokens are detokenized after the
 * prompt (so a SentencePiece word keeps its leading space, and prompt + completion reads as
 * one text). A character split across tokens detokenizes to U+FFFD until its last byte
 * arrives, so trailing replacement characters are held back until a later round or the end.
 */
export class TextStream {
  constructor(
    private readonly detokenize: (tokens: readonly number[], context: readonly number[]) => string,
    private readonly context: readonly number[],
    /** Characters already sent (a resumed session: those of the replayed events). */
    private sent = 0,
  ) {}

  delta(generated: readonly number[], final: boolean): string {
    let text = this.detokenize(generated, this.context);
    if (!final) {
      let end = text.length;
      while (end > this.sent && text[end - 1] === REPLACEMENT) end--;
      text = text.slice(0, end);
    }
    const delta = text.slice(this.sent);
    this.sent = text.length;
    return delta;
  }

  /**
   * The delta for `emitted` tokens after `generated`, with where each token's text ends in it
   * (a character split across tokens ends with the token that completes it).
   */
  deltaPerToken(
    generated: readonly number[],
    emitted: readonly number[],
    final: boolean,
  ): { text: string; textEnds: number[] } {
    let text = "";
    const textEnds: number[] = [];
    for (let i = 1; i <= emitted.length; i++) {
      text += this.delta([...generated, ...emitted.slice(0, i)], final && i === emitted.length);
      textEnds.push(text.length);
    }
    return { text, textEnds };
  }
}
