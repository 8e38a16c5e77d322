/**
 * Multi-head self-attention (tfjs-layers 4.22 exports none). Queries, keys and values are
 * projections of the same sequence; no mask: every step of a breath sees the whole breath.
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../../core/seed.ts';
import { attentionCore, layerKernels, linear } from '../native/index.ts';
import { matMul } from './mat-mul.ts';
import { featureSize, singleInput, singleShape, type BaseLayerArgs, type Initializer } from './layer-args.ts';

/** Projection weights of one attention sublayer. */
export interface AttentionWeights {
  queryKernel: tf.Tensor; // [D, heads * keyDim]
  queryBias: tf.Tensor; // [heads * keyDim]
  keyKernel: tf.Tensor;
  keyBias: tf.Tensor;
  valueKernel: tf.Tensor;
  valueBias: tf.Tensor;
  outputKernel: tf.Tensor; // [heads * keyDim, D]
  outputBias: tf.Tensor; // [D]
}

export const ATTENTION_WEIGHT_NAMES = [
  'queryKernel', 'queryBias', 'keyKernel', 'keyBias', 'valueKernel', 'valueBias', 'outputKernel', 'outputBias',
] as const;

/** Shapes of the attention weights for model width d. */
export function attentionWeightShapes(d: number, heads: number, keyDim: number): Record<keyof AttentionWeights, number[]> {
  const hk = heads * keyDim;
  return {
    queryKernel: [d, hk], queryBias: [hk],
    keyKernel: [d, hk], keyBias: [hk],
    valueKernel: [d, hk], valueBias: [hk],
    outputKernel: [hk, d], outputBias: [d],
  };
}

/**
 * softmax(Q K^T / sqrt(keyDim)) V per head, heads concatenated, then the output projection.
 * `dropout` (on the attention probabilities) applies only when given. With the native addon on
 * cpu/wasm and no dropout: one Q|K|V projection, the native attention core, the output projection.
 */
export function selfAttention(
  x: tf.Tensor3D,
  w: AttentionWeights,
  heads: number,
  keyDim: number,
  dropout?: { rate: number; seed: number },
): tf.Tensor3D {
  const [batch, time, d] = x.shape;
  const kernels = dropout && dropout.rate > 0 ? null : layerKernels();
  if (kernels) {
    const qkvKernel = tf.concat([w.queryKernel, w.keyKernel, w.valueKernel], 1) as tf.Tensor2D;
    const qkvBias = tf.concat([w.queryBias, w.keyBias, w.valueBias]) as tf.Tensor1D;
    const qkv = linear(kernels, x, qkvKernel, qkvBias, false) as tf.Tensor3D;
    const context = attentionCore(kernels, qkv, heads, keyDim);
    return linear(kernels, context, w.outputKernel as tf.Tensor2D, w.outputBias as tf.Tensor1D, false) as tf.Tensor3D;
  }
  const rows = tf.reshape(x, [batch * time, d]);
  const split = (kernel: tf.Tensor, bias: tf.Tensor) =>
    tf.reshape(
      tf.transpose(tf.reshape(tf.add(matMul(rows, kernel), bias), [batch, time, heads, keyDim]), [0, 2, 1, 3]),
      [batch * heads, time, keyDim],
    );
  const q = tf.mul(split(w.queryKernel, w.queryBias), 1 / Math.sqrt(keyDim));
  const k = split(w.keyKernel, w.keyBias);
  const v = split(w.valueKernel, w.valueBias);
  // An explicit transpose: the wasm backend's matMul with a transpose flag is several times slower.
  let probs: tf.Tensor = tf.softmax(matMul(q, tf.transpose(k, [0, 2, 1])));
  if (dropout && dropout.rate > 0) probs = tf.dropout(probs, dropout.rate, undefined, dropout.seed);
  const context = tf.reshape(
    tf.transpose(tf.reshape(matMul(probs, v), [batch, heads, time, keyDim]), [0, 2, 1, 3]),
    [batch * time, heads * keyDim],
  );
  const out = tf.add(matMul(context, w.outputKernel), w.outputBias);
  return tf.reshape(out, [batch, time, d]);
}

export interface MultiHeadAttentionArgs extends BaseLayerArgs {
  heads: number;
  /** Width of each head's queries, keys and values. */
  keyDim: number;
  /** Dropout rate on the attention probabilities while training. Default 0 (best in the competition). */
  dropout?: number;
  /** Seed of the Glorot-uniform projection initialisers and of the dropout masks. */
  seed: number;
}

/** A layer's addWeight, narrowed to what the attention weights need. */
export type AddWeight = (name: string, shape: number[], init: Initializer) => tf.LayerVariable;

/** Creates the attention weights through `add`, initialised from `seed`. */
export function addAttentionWeights(
  add: AddWeight,
  d: number,
  heads: number,
  keyDim: number,
  seed: number,
): Record<keyof AttentionWeights, tf.LayerVariable> {
  const shapes = attentionWeightShapes(d, heads, keyDim);
  const out = {} as Record<keyof AttentionWeights, tf.LayerVariable>;
  for (const name of ATTENTION_WEIGHT_NAMES) {
    const init = name.endsWith('Bias')
      ? tf.initializers.zeros()
      : tf.initializers.glorotUniform({ seed: deriveSeed(seed, name) });
    out[name] = add(name, shapes[name], init);
  }
  return out;
}

/** Reads every attention variable (inside the caller's tidy/gradient scope). */
export function readAttentionWeights(vars: Record<keyof AttentionWeights, tf.LayerVariable>): AttentionWeights {
  const out = {} as AttentionWeights;
  for (const name of ATTENTION_WEIGHT_NAMES) out[name] = vars[name].read();
  return out;
}

export class MultiHeadAttention extends tf.layers.Layer {
  static className = 'TidalMultiHeadAttention';
  readonly heads: number;
  readonly keyDim: number;
  readonly dropout: number;
  readonly seed: number;
  private vars!: Record<keyof AttentionWeights, tf.LayerVariable>;
  private dropoutCalls = 0;

  constructor(args: MultiHeadAttentionArgs) {
    super(args);
    this.heads = args.heads;
    this.keyDim = args.keyDim;
    this.dropout = args.dropout ?? 0;
    this.seed = args.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const d = featureSize(singleShape(inputShape, this.name), this.name);
    this.vars = addAttentionWeights(
      (name, shape, init) => this.addWeight(name, shape, 'float32', init),
      d, this.heads, this.keyDim, this.seed,
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(inputShape, this.name);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, this.name) as tf.Tensor3D;
      const dropout = kwargs['training'] === true && this.dropout > 0
        ? { rate: this.dropout, seed: deriveSeed(this.seed, 'dropout', this.dropoutCalls++) }
        : undefined;
      return selfAttention(x, readAttentionWeights(this.vars), this.heads, this.keyDim, dropout);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), heads: this.heads, keyDim: this.keyDim, dropout: this.dropout, seed: this.seed };
  }
}
tf.serialization.registerClass(MultiHeadAttention);

export function multiHeadAttention(args: MultiHeadAttentionArgs): MultiHeadAttention {
  return new MultiHeadAttention(args);
}
