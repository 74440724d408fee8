/** The label value a process uses for every peer past its limit. */
export const OTHER_LABEL = "other";

/**
 * Bounds a label's values (a pair's peer, say): the first `limit` distinct values keep their
 * own label, later ones share `other`, so a verifier that meets thousands of drafters still
 * exports at most `limit + 1` series per metric.
 */
export class BoundedLabel {
  private readonly known = new Set<string>();

  constructor(private readonly limit: number) {}

  of(value: string): string {
    if (this.known.has(value)) return value;
    if (this.known.size >= this.limit) return OTHER_LABEL;
    this.known.add(value);
    return value;
  }
}
