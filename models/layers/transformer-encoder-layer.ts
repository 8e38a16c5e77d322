/**
 * One Transformer encoder layer, post-norm as PyTorch's nn.TransformerEncoderLayer (the 1st-place
 * hybrid): h = LN(x + MHA(x)); out = LN(h + FFN(h)), FFN = Dense(ffnUnits, activation) -> Dense(D).
 * With `residualWeight` w the skips become w * x + (1 - w) * sublayer(x) (the public transformer's
 * 0.7 / 0.3 mixing). All weights live in this one layer, so none is shared or named twice.
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../../core/seed.ts';
import { activate } from './activation.ts';
import { layerKernels, layerNormalize, linear, transformerEncoderNative, type EncoderWeights } from '../native/index.ts';
import { matMul } from './mat-mul.ts';
import { featureSize, singleInput, singleShape, type BaseLayerArgs } from './layer-args.ts';
import { normalizeLastAxis } from './layer-norm.ts';
import { addAttentionWeights, readAttentionWeights, selfAttention, type AddWeight } from './multi-head-attention.ts';

export interface TransformerEncoderLayerArgs extends BaseLayerArgs {
  heads: number;
  /** Width of each head's queries, keys and values. */
  keyDim: number;
  /** Hidden width of the feed-forward sublayer. */
  ffnUnits: number;
  /** Feed-forward activation. Default 'relu' (PyTorch's default); the public transformer used 'gelu'. */
  activation?: 'relu' | 'gelu';
  /** Weight of the skip path, in (0, 1); null (default) for the plain sum x + sublayer(x). */
  residualWeight?: number | null;
  /** Dropout rate on the attention probabilities while training. Default 0. */
  dropout?: number;
  /** LayerNorm epsilon. Default 1e-5. */
  epsilon?: number;
  /** Seed of every initialiser in the layer and of the dropout masks. */
  seed: number;
}

/** An encoder layer's variables by weight name. */
export type EncoderVariables = Record<keyof EncoderWeights, tf.LayerVariable>;

/**
 * Creates an encoder layer's weights through `add` (attention, norm1, ffn1, ffn2, norm2, in this
 * order), initialised from `seed`: the encoder layer's own, and the conv block's encoder.
 */
export function addEncoderWeights(add: AddWeight, d: number, heads: number, keyDim: number, ffnUnits: number, seed: number): EncoderVariables {
  const glorot = (label: string) => tf.initializers.glorotUniform({ seed: deriveSeed(seed, label) });
  const attention = addAttentionWeights((name, shape, init) => add(`attention_${name}`, shape, init), d, heads, keyDim, deriveSeed(seed, 'attention'));
  return {
    ...attention,
    norm1Gamma: add('norm1_gamma', [d], tf.initializers.ones()),
    norm1Beta: add('norm1_beta', [d], tf.initializers.zeros()),
    ffnKernel1: add('ffn1_kernel', [d, ffnUnits], glorot('ffn1')),
    ffnBias1: add('ffn1_bias', [ffnUnits], tf.initializers.zeros()),
    ffnKernel2: add('ffn2_kernel', [ffnUnits, d], glorot('ffn2')),
    ffnBias2: add('ffn2_bias', [d], tf.initializers.zeros()),
    norm2Gamma: add('norm2_gamma', [d], tf.initializers.ones()),
    norm2Beta: add('norm2_beta', [d], tf.initializers.zeros()),
  };
}

/** Reads every encoder variable (inside the caller's tidy/gradient scope). */
export function readEncoderWeights(vars: EncoderVariables): EncoderWeights {
  const { norm1Gamma, norm1Beta, ffnKernel1, ffnBias1, ffnKernel2, ffnBias2, norm2Gamma, norm2Beta } = vars;
  return {
    ...readAttentionWeights(vars),
    norm1Gamma: norm1Gamma.read(), norm1Beta: norm1Beta.read(),
    ffnKernel1: ffnKernel1.read(), ffnBias1: ffnBias1.read(),
    ffnKernel2: ffnKernel2.read(), ffnBias2: ffnBias2.read(),
    norm2Gamma: norm2Gamma.read(), norm2Beta: norm2Beta.read(),
  };
}

/** What an encoder layer computes besides its weights. */
export interface EncoderOptions {
  heads: number;
  keyDim: number;
  activation: 'relu' | 'gelu';
  residualWeight: number | null;
  epsilon: number;
}

/**
 * One post-norm encoder layer of x: one native op where it can (relu, no dropout), per-sublayer
 * native ops for gelu or dropout, tf ops without the addon.
 */
export function encodeSequence(x: tf.Tensor3D, w: EncoderWeights, o: EncoderOptions, dropout?: { rate: number; seed: number }): tf.Tensor3D {
  const [batch, time, d] = x.shape;
  const kernels = layerKernels();
  if (kernels && !dropout && o.activation === 'relu') {
    // The whole layer as one native op: one tape node, no tf ops between the kernels.
    return transformerEncoderNative(kernels, x, w, { heads: o.heads, keyDim: o.keyDim, residualWeight: o.residualWeight, epsilon: o.epsilon });
  }
  const mix = (skip: tf.Tensor, sublayer: tf.Tensor) =>
    o.residualWeight === null ? tf.add(skip, sublayer) : tf.add(tf.mul(skip, o.residualWeight), tf.mul(sublayer, 1 - o.residualWeight));
  const attended = selfAttention(x, w, o.heads, o.keyDim, dropout);
  if (kernels) {
    // gelu or dropout: per-sublayer native ops, the residual sums inside the native LayerNorm.
    const norm = (skip: tf.Tensor, sub: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) =>
      layerNormalize(kernels, skip, sub, o.residualWeight, gamma, beta, o.epsilon);
    const h = norm(x, attended, w.norm1Gamma, w.norm1Beta);
    const pre = linear(kernels, h, w.ffnKernel1 as tf.Tensor2D, w.ffnBias1 as tf.Tensor1D, false);
    const hidden = activate(pre, o.activation);
    const ffn = linear(kernels, hidden, w.ffnKernel2 as tf.Tensor2D, w.ffnBias2 as tf.Tensor1D, false);
    return norm(h, ffn, w.norm2Gamma, w.norm2Beta) as tf.Tensor3D;
  }
  const h = normalizeLastAxis(mix(x, attended), w.norm1Gamma, w.norm1Beta, o.epsilon);
  const rows = tf.reshape(h, [batch * time, d]);
  const hidden = activate(tf.add(matMul(rows, w.ffnKernel1), w.ffnBias1), o.activation);
  const ffn = tf.add(matMul(hidden, w.ffnKernel2), w.ffnBias2);
  const out = mix(h, tf.reshape(ffn, [batch, time, d]));
  return normalizeLastAxis(out, w.norm2Gamma, w.norm2Beta, o.epsilon) as tf.Tensor3D;
}

export class TransformerEncoderLayer extends tf.layers.Layer {
  static className = 'TidalTransformerEncoderLayer';
  readonly heads: number;
  readonly keyDim: number;
  readonly ffnUnits: number;
  readonly activation: 'relu' | 'gelu';
  readonly residualWeight: number | null;
  readonly dropout: number;
  readonly epsilon: number;
  readonly seed: number;
  private vars!: EncoderVariables;
  private dropoutCalls = 0;

  constructor(args: TransformerEncoderLayerArgs) {
    super(args);
    this.heads = args.heads;
    this.keyDim = args.keyDim;
    this.ffnUnits = args.ffnUnits;
    this.activation = args.activation ?? 'relu';
    this.residualWeight = args.residualWeight ?? null;
    this.dropout = args.dropout ?? 0;
    this.epsilon = args.epsilon ?? 1e-5;
    this.seed = args.seed;
    if (this.residualWeight !== null && !(this.residualWeight > 0 && this.residualWeight < 1)) {
      throw new Error(`${this.name}: residualWeight must lie in (0, 1), got ${this.residualWeight}`);
    }
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const d = featureSize(singleShape(inputShape, this.name), this.name);
    this.vars = addEncoderWeights(
      (name, shape, init) => this.addWeight(name, shape, 'float32', init), d, this.heads, this.keyDim, this.ffnUnits, this.seed,
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
      const { heads, keyDim, activation, residualWeight, epsilon } = this;
      return encodeSequence(x, readEncoderWeights(this.vars), { heads, keyDim, activation, residualWeight, epsilon }, dropout);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      heads: this.heads,
      keyDim: this.keyDim,
      ffnUnits: this.ffnUnits,
      activation: this.activation,
      residualWeight: this.residualWeight,
      dropout: this.dropout,
      epsilon: this.epsilon,
      seed: this.seed,
    };
  }
}
tf.serialization.registerClass(TransformerEncoderLayer);

export function transformerEncoderLayer(args: TransformerEncoderLayerArgs): TransformerEncoderLayer {
  return new TransformerEncoderLayer(args);
}
