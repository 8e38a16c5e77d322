/**
 * Fits a blend across models on out-of-fold predictions without an optimistic score: for each
 * fold f the blend is fitted on the inspiratory rows of the other folds' breaths and applied to
 * fold f's breaths (the same folds the models used), so every OOF blend value comes from a fit
 * that never saw its row. The fit applied to test uses all OOF rows.
 */
import { ROWS_PER_BREATH, type BreathTable } from '../dataset/index.ts';
import type { BlendFit, BlendMethod } from './blend-methods/index.ts';

export interface CrossValidatedBlend {
  method: string;
  /** Fitted on every OOF row: the one to apply to test predictions. */
  fit: BlendFit;
  /** Fold f's fit (trained without fold f), by fold number. */
  foldFits: Map<number, BlendFit>;
  /** OOF blend per train row, each row predicted by the fit that left its fold out. */
  oof: Float32Array;
}

/** Inspiratory rows that `keep` accepts and every model predicted (a run limited to some folds leaves NaN elsewhere). */
function inspiratoryRows(oofs: Float32Array[], target: Float64Array, uOut: Uint8Array, keep: (row: number) => boolean) {
  const rows: number[] = [];
  for (let i = 0; i < uOut.length; i++) if (uOut[i] === 0 && keep(i) && oofs.every((p) => !Number.isNaN(p[i]))) rows.push(i);
  return {
    predictions: oofs.map((p) => Float32Array.from(rows, (i) => p[i])),
    target: Float64Array.from(rows, (i) => target[i]),
  };
}

/** breathFold[b]: the fold whose validation set holds train breath b. */
export function crossValidatedBlend(method: BlendMethod, oofs: Float32Array[], train: BreathTable, breathFold: Int32Array): CrossValidatedBlend {
  const target = train.pressure;
  if (!target) throw new Error('crossValidatedBlend: the train table has no pressure column');
  if (breathFold.length !== train.nBreaths) {
    throw new Error(`crossValidatedBlend: ${breathFold.length} fold labels for ${train.nBreaths} train breaths`);
  }
  const rows = train.nBreaths * ROWS_PER_BREATH;
  oofs.forEach((p, m) => {
    if (p.length !== rows) throw new Error(`crossValidatedBlend: OOF predictions of model ${m} have ${p.length} rows, train has ${rows}`);
  });
  const rowFold = (i: number) => breathFold[Math.floor(i / ROWS_PER_BREATH)];
  const folds = [...new Set(breathFold)].sort((a, b) => a - b);
  if (folds.length < 2) throw new Error(`crossValidatedBlend: need at least 2 folds, got ${folds.length}`);
  const oof = new Float32Array(rows);
  const foldFits = new Map<number, BlendFit>();
  for (const f of folds) {
    const fitRows = inspiratoryRows(oofs, target, train.uOut, (i) => rowFold(i) !== f);
    const fit = method.fit(fitRows.predictions, fitRows.target);
    foldFits.set(f, fit);
    const breaths: number[] = [];
    for (let b = 0; b < train.nBreaths; b++) if (breathFold[b] === f) breaths.push(b);
    const heldOut = oofs.map((p) => {
      const out = new Float32Array(breaths.length * ROWS_PER_BREATH);
      breaths.forEach((b, k) => out.set(p.subarray(b * ROWS_PER_BREATH, (b + 1) * ROWS_PER_BREATH), k * ROWS_PER_BREATH));
      return out;
    });
    const blended = method.apply(fit, heldOut);
    breaths.forEach((b, k) => oof.set(blended.subarray(k * ROWS_PER_BREATH, (k + 1) * ROWS_PER_BREATH), b * ROWS_PER_BREATH));
  }
  const all = inspiratoryRows(oofs, target, train.uOut, () => true);
  return { method: method.name, fit: method.fit(all.predictions, all.target), foldFits, oof };
}
