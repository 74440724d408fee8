const REPLACEMENT = "\uFFFD";

/**
 * Turns a growing token list into text deltas. A character split across tokens detokenizes
 * to U+FFFD until its last byte arrives, so trailing replacement characters are held back
 * until the next round (or the end) completes them.
 */
export class TextStream {
  private sent = 0;

  constructor(private readonly detokenize: (tokens: readonly number[]) => string) {}

  delta(generated: readonly number[], final: boolean): string {
    let text = this.detokenize(generated);
    if (!final) {
      let end = text.length;
      while (end > this.sent && text[end - 1] === REPLACEMENT) end--;
      text = text.slice(0, end);
    }
    const delta = text.slice(this.sent);
    this.sent = text.length;
    return delta;
  }
}
