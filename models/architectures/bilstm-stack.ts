/** Bidirectional LSTM layers (concat, whole sequences) through the recurrent-layer factory. */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../../core/seed.ts';
import { recurrent } from '../recurrence/index.ts';

/** Applies one BiLSTM per entry of `units`, named `${prefix}_${i}`, each seeded on its own. */
export function bilstmStack(x: tf.SymbolicTensor, units: readonly number[], seed: number, prefix = 'bilstm'): tf.SymbolicTensor {
  return units.reduce(
    (h, u, i) =>
      recurrent({
        cell: 'lstm', units: u, returnSequences: true, direction: 'bidirectional', merge: 'concat',
        seed: deriveSeed(seed, prefix, i), name: `${prefix}_${i}`,
      }).apply(h) as tf.SymbolicTensor,
    x,
  );
}
