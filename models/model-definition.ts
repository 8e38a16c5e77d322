/**
 * What a registered model is: a named builder with a typed, serialisable config.
 * The trainer, the pipeline and the benchmarks only see this surface.
 */
import type * as tf from '@tensorflow/tfjs';

/**
 * What the model's output channels mean, per time step ([batch, 80, channels]):
 * - 'pressure': 1 channel, pressure.
 * - 'two-head': 2 channels, the inspiratory head and the expiratory head (the prediction of a row
 *   is the head of its phase).
 * - 'multi-target': 3 channels, pressure, its first difference and its cumulative sum.
 * - 'levels': PRESSURE_LEVELS channels of logits over the pressure grid.
 */
export type OutputKind = 'pressure' | 'two-head' | 'multi-target' | 'levels';

export interface ModelDefinition<Config extends object = object> {
  name: string;
  description: string;
  /** Full-size config (the competition recipe). */
  defaults: Config;
  /** A variant that trains in seconds, for tests and the default run. */
  small: Config;
  /** Which input feature set the model was designed for (a features/ set name). */
  featureSet: string;
  /** Throws, naming the field, when a config value is out of range (run before any work starts). */
  check(config: Config): void;
  /** Output layout of the built model. */
  outputKind(config: Config): OutputKind;
  /** Builds an uncompiled model with input [null, 80, inputFeatures]; all initialisers seeded from `seed`. */
  build(config: Config, inputFeatures: number, seed: number): tf.LayersModel;
}
