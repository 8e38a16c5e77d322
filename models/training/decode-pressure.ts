/**
 * Pressure per row from a model's output, whatever its OutputKind:
 * - 'pressure' and 'multi-target': channel 0.
 * - 'two-head': the head of the row's phase (channel 0 on inspiratory rows, 1 elsewhere), which
 *   needs the row's u_out.
 * - 'levels': the probability-weighted mean level ('expected') or the most likely level ('argmax').
 */
import * as tf from '@tensorflow/tfjs';
import { PRESSURE_LEVELS, levelPressure } from '../../core/index.ts';
import type { OutputKind } from '../model-definition.ts';

export interface DecodeOptions {
  /** Per row, 1 where u_out == 0: required for 'two-head'. */
  inspiratory?: ArrayLike<number>;
  /** Default 'expected'. */
  levels?: 'expected' | 'argmax';
}

let levelGrid: Float32Array | null = null;

function grid(): Float32Array {
  levelGrid ??= Float32Array.from({ length: PRESSURE_LEVELS }, (_, k) => levelPressure(k));
  return levelGrid;
}

/** [B * 80] pressures from yPred [B, 80, channels]. */
export async function decodePressure(outputKind: OutputKind, yPred: tf.Tensor3D, options: DecodeOptions = {}): Promise<Float32Array> {
  const [b, t, channels] = yPred.shape;
  const rows = b * t;
  switch (outputKind) {
    case 'pressure':
    case 'multi-target': {
      const p = tf.tidy(() => tf.reshape(tf.slice(yPred, [0, 0, 0], [b, t, 1]), [rows]));
      const out = (await p.data()) as Float32Array;
      p.dispose();
      return out;
    }
    case 'two-head': {
      const mask = options.inspiratory;
      if (!mask || mask.length !== rows) {
        throw new Error(`decodePressure('two-head') needs the inspiratory mask of all ${rows} rows, got ${mask?.length ?? 'none'}`);
      }
      const all = (await yPred.data()) as Float32Array;
      const out = new Float32Array(rows);
      for (let i = 0; i < rows; i++) out[i] = all[i * channels + (mask[i] ? 0 : 1)];
      return out;
    }
    case 'levels': {
      if (channels !== PRESSURE_LEVELS) throw new Error(`decodePressure('levels') expects ${PRESSURE_LEVELS} channels, got ${channels}`);
      if (options.levels === 'argmax') {
        const k = tf.tidy(() => tf.reshape(tf.argMax(yPred, -1), [rows]));
        const levels = await k.data();
        k.dispose();
        const g = grid();
        return Float32Array.from(levels, (level) => g[level]);
      }
      const p = tf.tidy(() =>
        tf.reshape(tf.matMul(tf.reshape(tf.softmax(yPred), [rows, PRESSURE_LEVELS]), tf.tensor2d(grid(), [PRESSURE_LEVELS, 1])), [rows]),
      );
      const out = (await p.data()) as Float32Array;
      p.dispose();
      return out;
    }
  }
}
