/** Post-processing of blended predictions: controller inversion on the rows it solves, then snapping to the grid. */
import { snapToGrid } from '../core/index.ts';
import { type BreathTable } from '../dataset/index.ts';
import { applyInversion, invertController, type InversionOptions, type InversionResult } from './invert-controller.ts';

export interface PostprocessOptions {
  /** Replace rows solved by inverting the PI controller. Default true. */
  invert?: boolean;
  inversion?: InversionOptions;
  /** Snap to the nearest of the 950 grid levels (clipping to its range). Default true. */
  snap?: boolean;
}

export interface Postprocessed {
  pressure: Float64Array;
  /** Present when inversion ran. */
  inversion?: InversionResult;
}

/** `pred` holds one value per row of `table`; it is not modified. */
export function postprocess(pred: ArrayLike<number>, table: BreathTable, options: PostprocessOptions = {}): Postprocessed {
  const pressure = Float64Array.from(pred);
  let inversion: InversionResult | undefined;
  if (options.invert ?? true) {
    // The predictions guide the search for breaths whose first rows are clipped or noisy.
    inversion = invertController(table, options.inversion, pred);
    applyInversion(pressure, inversion);
  }
  if (options.snap ?? true) for (let i = 0; i < pressure.length; i++) pressure[i] = snapToGrid(pressure[i]);
  return { pressure, inversion };
}
