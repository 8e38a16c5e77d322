/**
 * Training-batch augmentation, applied in place to a gathered batch and never to validation or
 * test rows. Draws come from a generator seeded by (seed, epoch), consumed in batch order, so a
 * resumed run augments exactly as an uninterrupted one.
 *
 * - Masking R (or C): zero the breath's one-hot R columns (`R_5`, `R_20`, `R_50`) and the R_C pair
 *   columns (`R_C_5_10`, ...), which would give R away too. Raw numeric R/C columns are left alone:
 *   use a feature set without them when masking.
 * - Mixup: a breath is replaced by lambda * itself + (1 - lambda) * another breath of the batch,
 *   features and target alike, lambda ~ Beta(alpha, alpha); a row stays scored only when it is
 *   inspiratory in both breaths, and weighs the lesser of the two rows' weights.
 */
import { ROWS_PER_BREATH } from '../../dataset/index.ts';
import type { AugmentationConfig } from './recipe.ts';

export interface OneHotColumns {
  r: number[];
  c: number[];
}

/** Indices of the columns masking R or C zeroes, from the layout's feature names. */
export function oneHotColumns(featureNames: readonly string[]): OneHotColumns {
  const pick = (re: RegExp) => featureNames.flatMap((name, i) => (re.test(name) ? [i] : []));
  return { r: pick(/^R_(5|20|50)$|^R_C_/), c: pick(/^C_(10|20|50)$|^R_C_/) };
}

export function isAugmenting(config: AugmentationConfig): boolean {
  return config.maskRProbability > 0 || config.maskCProbability > 0 || config.mixupProbability > 0;
}

/** Beta(alpha, alpha) by Johnk's method (alpha <= 1 keeps the acceptance rate high). */
function sampleBeta(alpha: number, rng: () => number): number {
  for (;;) {
    const u = rng() ** (1 / alpha);
    const v = rng() ** (1 / alpha);
    if (u + v <= 1 && u + v > 0) return u / (u + v);
  }
}

export interface AugmentBatch {
  /** [n, 80, nFeatures] */
  x: Float32Array;
  /** [n, 80] */
  target: Float32Array;
  /** [n, 80] 1 on inspiratory rows. */
  inspiratory: Float32Array;
  /** [n, 80] row weights, when the data has them. */
  weight?: Float32Array;
  n: number;
  nFeatures: number;
}

export function augmentBatch(batch: AugmentBatch, config: AugmentationConfig, columns: OneHotColumns, rng: () => number): void {
  const { x, target, inspiratory, weight, n, nFeatures: f } = batch;
  const width = ROWS_PER_BREATH * f;
  if (config.mixupProbability > 0) {
    // Partners come from the batch as it was before any mixing.
    const x0 = x.slice();
    const t0 = target.slice();
    const m0 = inspiratory.slice();
    const w0 = weight?.slice();
    for (let i = 0; i < n; i++) {
      if (n < 2 || rng() >= config.mixupProbability) continue;
      const j = (i + 1 + Math.floor(rng() * (n - 1))) % n;
      const lambda = sampleBeta(config.mixupAlpha, rng);
      for (let k = 0; k < width; k++) x[i * width + k] = lambda * x0[i * width + k] + (1 - lambda) * x0[j * width + k];
      for (let r = 0; r < ROWS_PER_BREATH; r++) {
        const a = i * ROWS_PER_BREATH + r;
        const b = j * ROWS_PER_BREATH + r;
        target[a] = lambda * t0[a] + (1 - lambda) * t0[b];
        inspiratory[a] = m0[a] * m0[b];
        if (weight && w0) weight[a] = Math.min(w0[a], w0[b]);
      }
    }
  }
  for (let i = 0; i < n; i++) {
    const maskR = config.maskRProbability > 0 && rng() < config.maskRProbability;
    const maskC = config.maskCProbability > 0 && rng() < config.maskCProbability;
    const zero = [...(maskR ? columns.r : []), ...(maskC ? columns.c : [])];
    if (zero.length === 0) continue;
    for (let r = 0; r < ROWS_PER_BREATH; r++) {
      for (const c of zero) x[i * width + r * f + c] = 0;
    }
  }
}
