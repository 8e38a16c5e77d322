/**
 * The Adam/AdamW update of one variable on the webgpu backend in three dispatches (first moment,
 * second moment, weight) instead of the dozen element-wise ops of the tf-ops update: at the
 * reference model's size a training batch is bound by the number of dispatches, not by the math.
 * Same formula as AdamOptimizer.apply (optimizers.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGpuBackendLike, WebGpuProgram } from '../recurrence/index.ts';

const WORKGROUP = 128;

abstract class ElementwiseProgram implements WebGpuProgram {
  abstract variableNames: string[];
  abstract uniforms: string;
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  size = true;

  constructor(name: string, shape: number[]) {
    // Flat [n]: one pipeline a program, whatever the variable's rank.
    const n = shape.reduce((a, b) => a * b, 1);
    this.outputShape = [n];
    this.shaderKey = `tidal_adam_${name}`;
    this.dispatch = [Math.ceil(n / WORKGROUP), 1, 1];
  }

  abstract getUserCode(): string;
}

/** beta * M + (1 - beta) * G (or G squared). */
class MomentProgram extends ElementwiseProgram {
  variableNames = ['M', 'G'];
  uniforms = 'beta : f32,';
  private readonly square: boolean;
  constructor(shape: number[], square: boolean) {
    super(square ? 'v' : 'm', shape);
    this.square = square;
  }
  getUserCode(): string {
    return `
fn main(index : i32) {
  if (index < uniforms.size) {
    let g = G[index];
    result[index] = uniforms.beta * M[index] + (1.0 - uniforms.beta) * ${this.square ? 'g * g' : 'g'};
  }
}`;
  }
}

/** decay * W - lr * (M / c1) / (sqrt(V / c2) + epsilon). */
class WeightProgram extends ElementwiseProgram {
  variableNames = ['W', 'M', 'V'];
  uniforms = 'decay : f32, lr : f32, c1 : f32, c2 : f32, epsilon : f32,';
  constructor(shape: number[]) {
    super('w', shape);
  }
  getUserCode(): string {
    return `
fn main(index : i32) {
  if (index < uniforms.size) {
    let update = (M[index] / uniforms.c1) / (sqrt(V[index] / uniforms.c2) + uniforms.epsilon);
    result[index] = uniforms.decay * W[index] - uniforms.lr * update;
  }
}`;
  }
}

export interface AdamStep {
  beta1: number; beta2: number; epsilon: number;
  /** Bias corrections 1 - beta^t. */
  c1: number; c2: number;
  lr: number;
  /** AdamW's 1 - lr * weightDecay; 1 for Adam. */
  decay: number;
}

/** Updates w, m and v in place (assign) from the gradient g. */
export function adamUpdateWebGpu(w: tf.Variable, m: tf.Variable, v: tf.Variable, g: tf.Tensor, step: AdamStep): void {
  const backend = tf.backend() as unknown as WebGpuBackendLike;
  const flat = (t: tf.Tensor) => tf.reshape(t, [t.size]);
  const run = (program: WebGpuProgram, inputs: tf.Tensor[], uniforms: number[]) =>
    tf.reshape(tf.engine().makeTensorFromTensorInfo(backend.runWebGPUProgram(program, inputs, 'float32',
      uniforms.map((u) => ({ type: 'float32' as const, data: [u] })))), w.shape);
  tf.tidy(() => {
    const gFlat = flat(g);
    const mNew = run(new MomentProgram(w.shape, false), [flat(m), gFlat], [step.beta1]);
    const vNew = run(new MomentProgram(w.shape, true), [flat(v), gFlat], [step.beta2]);
    const wNew = run(new WeightProgram(w.shape), [flat(w), flat(mNew), flat(vNew)], [step.decay, step.lr, step.c1, step.c2, step.epsilon]);
    m.assign(mNew);
    v.assign(vNew);
    w.assign(wNew);
  });
}
