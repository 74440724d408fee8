import type { WriteProgress } from "#gguf";
import { deriveModel, type DeriveOptions } from "./derive.js";
import { widenModel, type WidenOptions } from "./widen.js";

/** A named way to build one model from another; the spec is what the cache compares. */
export interface ModelRecipe {
  id: string;
  describe: string;
  spec: { derive: DeriveOptions } | { widen: WidenOptions };
}

/** Models the local fleet, the tests and the benchmarks build from the tiny trained model. */
export const RECIPES = {
  /** A target with the original's function at the cost of a ~140M-parameter model (~25-30 ms/token on one core). */
  w1024: {
    id: "w1024",
    describe: "widened target: 1024 wide, ff 2816, 16 layers",
    spec: { widen: { embd: 1024, ff: 2816, layers: 16 } },
  },
  q8_0: { id: "q8_0", describe: "q8_0 drafter", spec: { derive: { quantize: "q8_0" } } },
  q4_0: { id: "q4_0", describe: "q4_0 drafter", spec: { derive: { quantize: "q4_0" } } },
  L4of5: {
    id: "L4of5",
    describe: "drafter keeping layers 0,1,2,4 of 5",
    spec: { derive: { keepLayers: [0, 1, 2, 4] } },
  },
  L2of5: { id: "L2of5", describe: "drafter keeping layers 0,4 of 5", spec: { derive: { keepLayers: [0, 4] } } },
} satisfies Record<string, ModelRecipe>;

export type RecipeName = keyof typeof RECIPES;

export function buildWithRecipe(
  recipe: ModelRecipe,
  source: string,
  output: string,
  onProgress?: (p: WriteProgress) => void,
): Promise<void> {
  return "widen" in recipe.spec
    ? widenModel(source, output, recipe.spec.widen, onProgress)
    : deriveModel(source, output, recipe.spec.derive, onProgress);
}
