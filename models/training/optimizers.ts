/**
 * Adam and AdamW written here rather than taken from tf.train: the moments and the step count
 * are plain state we can save and restore bit-exactly (tf.train.adam rebuilds its beta powers with
 * pow() on restore, which differs in the last bits from the running product), the learning rate
 * changes per step, and AdamW's decay is decoupled from the gradient.
 */
import * as tf from '@tensorflow/tfjs';
import type { OptimizerConfig } from './recipe.ts';
import { adamUpdateInPlace } from '../native/index.ts';
import { adamUpdateWebGpu } from './webgpu-adam.ts';

export interface OptimizerState {
  step: number;
  /** First moments then second moments, one per variable, in variable order. */
  moments: Float32Array[];
}

export class AdamOptimizer {
  readonly config: OptimizerConfig;
  readonly variables: tf.Variable[];
  step = 0;
  private m: tf.Variable[];
  private v: tf.Variable[];

  constructor(config: OptimizerConfig, variables: tf.Variable[]) {
    this.config = config;
    this.variables = variables;
    this.m = variables.map((w) => tf.variable(tf.zerosLike(w), false));
    this.v = variables.map((w) => tf.variable(tf.zerosLike(w), false));
  }

  /** One update with gradients in variable order. */
  apply(grads: tf.Tensor[], lr: number): void {
    const { beta1, beta2, epsilon } = this.config;
    const t = this.step + 1;
    // Bias corrections in float64 from the step count alone: the same on a resumed run.
    const c1 = 1 - beta1 ** t;
    const c2 = 1 - beta2 ** t;
    const decay = this.config.kind === 'adamw' ? 1 - lr * this.config.weightDecay : 1;
    if (tf.getBackend() === 'webgpu') {
      this.variables.forEach((w, i) => adamUpdateWebGpu(w, this.m[i], this.v[i], grads[i], { beta1, beta2, epsilon, c1, c2, lr, decay }));
      this.step = t;
      return;
    }
    tf.tidy(() => {
      // On wasm one native call for all the variables, same bits (models/native/adam.ts).
      const left = adamUpdateInPlace(this.variables, this.m, this.v, grads, { beta1, beta2, epsilon, c1, c2, lr, decay });
      for (const i of left) {
        const w = this.variables[i];
        const g = grads[i];
        const m = tf.add(tf.mul(this.m[i], beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.v[i], beta2), tf.mul(tf.square(g), 1 - beta2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), epsilon));
        const decayed = decay === 1 ? w : tf.mul(w, decay);
        w.assign(tf.sub(decayed, tf.mul(update, lr)));
      }
    });
    this.step = t;
  }

  async exportState(): Promise<OptimizerState> {
    const moments = await Promise.all([...this.m, ...this.v].map(async (t) => (await t.data()) as Float32Array));
    return { step: this.step, moments };
  }

  importState(state: OptimizerState): void {
    const n = this.variables.length;
    if (state.moments.length !== 2 * n) {
      throw new Error(`optimizer state has ${state.moments.length} moments, expected ${2 * n}`);
    }
    tf.tidy(() => [...this.m, ...this.v].forEach((t, i) => t.assign(tf.tensor(state.moments[i], t.shape))));
    this.step = state.step;
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}
