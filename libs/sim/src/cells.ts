import type { WorkerView } from "#pairing";
import type { SimFleet } from "./fleet.js";
import type { SimPlacement } from "./placement.js";
import type { AloneSim, SimCell, WaitingSim } from "./world.js";

/** The fleet's cells: each worker's views in the cell its `cell` names, in id order. */
export function buildCells(
  fleet: SimFleet,
  count: number,
  placement: (views: WorkerView[]) => SimPlacement<WaitingSim, AloneSim>,
): SimCell[] {
  const views: WorkerView[][] = Array.from({ length: count }, () => []);
  const cellOf = new Map<WorkerView, number>();
  for (const worker of [...fleet.verifiers, ...fleet.drafters]) cellOf.set(worker.view, worker.cell);
  // fleet.views are in id order: each cell's share keeps it.
  for (const view of fleet.views) views[cellOf.get(view)!]!.push(view);
  return views.map((cellViews, index) => ({
    index,
    views: cellViews,
    placement: placement(cellViews),
    live: new Map(),
    waiting: 0,
    looking: false,
  }));
}

/**
 * Draws the cell a request is served in, in proportion to each cell's weight (its verifiers'
 * session slots): a binary search over the cumulative weights.
 */
export class CellDraw {
  private readonly cumulative: Float64Array;

  constructor(weights: readonly number[]) {
    if (weights.length === 0) throw new Error("no cells to draw from");
    this.cumulative = new Float64Array(weights.length);
    let sum = 0;
    weights.forEach((w, i) => {
      if (!(w >= 0)) throw new Error(`cell ${i}'s weight must be ≥ 0, not ${w}`);
      this.cumulative[i] = sum += w;
    });
    if (!(sum > 0)) throw new Error("the cells' weights add up to nothing");
  }

  /** The cell for a uniform draw `u` in [0, 1). */
  pick(u: number): number {
    const target = u * this.cumulative[this.cumulative.length - 1]!;
    let low = 0;
    let high = this.cumulative.length - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.cumulative[mid]! > target) high = mid;
      else low = mid + 1;
    }
    return low;
  }
}
