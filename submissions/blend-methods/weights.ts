/**
 * Non-negative weights summing to 1 that minimise the inspiratory MAE of the weighted blend.
 *
 * Exponentiated gradient on the simplex: the MAE's subgradient for model m is
 * mean(sign(blend - target) * pred_m); multiplicative updates keep weights positive and the
 * renormalisation keeps their sum at 1. The MAE is not smooth, so steps shrink as 1/sqrt(t) and
 * the best weights seen are kept.
 */
import { checkSameLength } from '../row-stats.ts';
import type { BlendFit, BlendMethod } from './blend-method.ts';

const ITERATIONS = 300;
/** Largest change of a log-weight in the first step. */
const FIRST_STEP = 0.5;
/** Fitting on more rows than this uses an even stride through them: the weights do not need millions of rows. */
const MAX_FIT_ROWS = 500_000;

function weightedBlend(weights: number[], predictions: Float32Array[], n: number): Float64Array {
  const out = new Float64Array(n);
  for (let m = 0; m < predictions.length; m++) {
    const w = weights[m];
    if (w === 0) continue;
    const p = predictions[m];
    for (let i = 0; i < n; i++) out[i] += w * p[i];
  }
  return out;
}

function subsample(predictions: Float32Array[], target: Float64Array): { predictions: Float32Array[]; target: Float64Array } {
  if (target.length <= MAX_FIT_ROWS) return { predictions, target };
  const stride = target.length / MAX_FIT_ROWS;
  const pick = (i: number) => Math.floor(i * stride);
  return {
    predictions: predictions.map((p) => Float32Array.from({ length: MAX_FIT_ROWS }, (_, i) => p[pick(i)])),
    target: Float64Array.from({ length: MAX_FIT_ROWS }, (_, i) => target[pick(i)]),
  };
}

export function fitSimplexWeights(allPredictions: Float32Array[], allTarget: Float64Array): number[] {
  const n0 = checkSameLength(allPredictions, 'blend weights');
  if (n0 !== allTarget.length) throw new Error(`blend weights: ${n0} prediction rows but ${allTarget.length} targets`);
  if (n0 === 0) throw new Error('blend weights: no rows to fit on');
  const { predictions, target } = subsample(allPredictions, allTarget);
  const k = predictions.length;
  const n = target.length;
  let weights = new Array<number>(k).fill(1 / k);
  let best = weights.slice();
  let bestLoss = Infinity;
  const grad = new Float64Array(k);
  for (let t = 0; t < ITERATIONS; t++) {
    const blend = weightedBlend(weights, predictions, n);
    let loss = 0;
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      const r = blend[i] - target[i];
      loss += Math.abs(r);
      const s = r > 0 ? 1 : r < 0 ? -1 : 0;
      if (s === 0) continue;
      for (let m = 0; m < k; m++) grad[m] += s * predictions[m][i];
    }
    if (loss < bestLoss) {
      bestLoss = loss;
      best = weights.slice();
    }
    // Only differences between models' gradients move weights on the simplex.
    let centre = 0;
    for (let m = 0; m < k; m++) centre += weights[m] * grad[m];
    let scale = 0;
    for (let m = 0; m < k; m++) scale = Math.max(scale, Math.abs(grad[m] - centre));
    if (scale === 0) break;
    const step = FIRST_STEP / Math.sqrt(t + 1) / scale;
    const next = weights.map((w, m) => w * Math.exp(-step * (grad[m] - centre)));
    const total = next.reduce((a, b) => a + b, 0);
    weights = next.map((w) => w / total);
  }
  return best;
}

export const weightsBlend: BlendMethod = {
  name: 'weights',
  description: 'non-negative weights summing to 1, fitted on out-of-fold predictions to minimise inspiratory MAE',
  fit: (predictions, target): BlendFit => ({ weights: fitSimplexWeights(predictions, target) }),
  apply(fit, predictions) {
    const weights = fit.weights;
    if (!weights || weights.length !== predictions.length) {
      throw new Error(`blend weights: fitted for ${weights?.length ?? 0} models, applied to ${predictions.length}`);
    }
    const n = checkSameLength(predictions, 'blend weights');
    return Float32Array.from(weightedBlend(weights, predictions, n));
  },
};
