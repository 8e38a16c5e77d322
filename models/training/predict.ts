/** Batched inference over breaths of the contiguous layout, decoded to one pressure per row. */
import * as tf from '@tensorflow/tfjs';
import { ROWS_PER_BREATH } from '../../dataset/index.ts';
import type { OutputKind } from '../model-definition.ts';
import { gatherBreaths } from './batches.ts';
import { decodePressure } from './decode-pressure.ts';

export interface PredictInput {
  /** [nBreaths, 80, nFeatures] */
  x: Float32Array;
  /** [nBreaths * 80] 1 on inspiratory rows. */
  inspiratory: Float32Array | Uint8Array;
  nFeatures: number;
}

/** Pressure of every row of the given breaths, in their order ([breaths.length * 80]). */
export async function predictBreaths(
  model: tf.LayersModel,
  outputKind: OutputKind,
  input: PredictInput,
  breaths: ArrayLike<number>,
  options: { batchSize: number; levels: 'expected' | 'argmax' },
): Promise<Float32Array> {
  const f = input.nFeatures;
  const out = new Float32Array(breaths.length * ROWS_PER_BREATH);
  for (let start = 0; start < breaths.length; start += options.batchSize) {
    const ids = Array.prototype.slice.call(breaths, start, Math.min(breaths.length, start + options.batchSize)) as number[];
    const xb = gatherBreaths(input.x, ids, ROWS_PER_BREATH * f);
    const mask = gatherBreaths(input.inspiratory, ids, ROWS_PER_BREATH);
    // batchSize here too: model.predict otherwise splits the batch into its default 32 again.
    const y = tf.tidy(() => model.predict(tf.tensor3d(xb, [ids.length, ROWS_PER_BREATH, f]), { batchSize: ids.length }) as tf.Tensor3D);
    try {
      out.set(await decodePressure(outputKind, y, { inspiratory: mask, levels: options.levels }), start * ROWS_PER_BREATH);
    } finally {
      y.dispose();
    }
  }
  return out;
}
