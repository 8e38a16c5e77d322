/**
 * Recurrent layers for every model: one factory so the implementation behind it can change.
 * (Interim: stock tfjs-layers; to be replaced by the fast fused LSTM/GRU.)
 */
import * as tf from '@tensorflow/tfjs';

export interface RecurrentArgs {
  cell: 'lstm' | 'gru';
  units: number;
  /** Return the whole sequence [B, T, units*(2 if concat)] or only the last step. */
  returnSequences: boolean;
  /** 'forward' | 'reverse' | 'bidirectional'. */
  direction: 'forward' | 'reverse' | 'bidirectional';
  /** How the two directions combine when bidirectional. */
  merge?: 'concat' | 'sum';
  /** Seed of the initialisers; each direction derives its own. */
  seed: number;
  name?: string;
}

export function recurrent(args: RecurrentArgs): tf.layers.Layer {
  const make = (goBackwards: boolean, seed: number) => {
    const common = {
      units: args.units,
      returnSequences: args.returnSequences,
      goBackwards,
      recurrentActivation: 'sigmoid' as const,
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
      recurrentInitializer: tf.initializers.orthogonal({ seed: seed + 1 }),
    };
    return args.cell === 'lstm' ? tf.layers.lstm({ ...common, unitForgetBias: true }) : tf.layers.gru(common);
  };
  if (args.direction === 'bidirectional') {
    return tf.layers.bidirectional({
      layer: make(false, args.seed) as tf.RNN,
      mergeMode: args.merge ?? 'concat',
      name: args.name,
    });
  }
  return make(args.direction === 'reverse', args.seed);
}
