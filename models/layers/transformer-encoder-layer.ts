/**
 * One Transformer encoder layer, post-norm as PyTorch's nn.TransformerEncoderLayer (the 1st-place
 * hybrid): h = LN(x + MHA(x)); out = LN(h + FFN(h)), FFN = Dense(ffnUnits, activation) -> Dense(D).
 * With `residualWeight` w the skips become w * x + (1 - w) * sublayer(x) (the public transformer's
 * 0.7 / 0.3 mixing). All weights live in this one layer, so none is shared or named twice.
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../../core/seed.ts';
import { activate } from './activation.ts';
import { layerKernels, layerNormalize, linear, transformerEncoderNative } from '../native/index.ts';
import { matMul } from './mat-mul.ts';
import { featureSize, singleInput, singleShape, type BaseLayerArgs } from './layer-args.ts';
import { normalizeLastAxis } from './layer-norm.ts';
import { addAttentionWeights, readAttentionWeights, selfAttention, type AttentionWeights } from './multi-head-attention.ts';

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
  private attention!: Record<keyof AttentionWeights, tf.LayerVariable>;
  private norm1Gamma!: tf.LayerVariable;
  private norm1Beta!: tf.LayerVariable;
  private ffnKernel1!: tf.LayerVariable;
  private ffnBias1!: tf.LayerVariable;
  private ffnKernel2!: tf.LayerVariable;
  private ffnBias2!: tf.LayerVariable;
  private norm2Gamma!: tf.LayerVariable;
  private norm2Beta!: tf.LayerVariable;
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
    const glorot = (label: string) => tf.initializers.glorotUniform({ seed: deriveSeed(this.seed, label) });
    this.attention = addAttentionWeights(
      (name, shape, init) => this.addWeight(`attention_${name}`, shape, 'float32', init),
      d, this.heads, this.keyDim, deriveSeed(this.seed, 'attention'),
    );
    this.norm1Gamma = this.addWeight('norm1_gamma', [d], 'float32', tf.initializers.ones());
    this.norm1Beta = this.addWeight('norm1_beta', [d], 'float32', tf.initializers.zeros());
    this.ffnKernel1 = this.addWeight('ffn1_kernel', [d, this.ffnUnits], 'float32', glorot('ffn1'));
    this.ffnBias1 = this.addWeight('ffn1_bias', [this.ffnUnits], 'float32', tf.initializers.zeros());
    this.ffnKernel2 = this.addWeight('ffn2_kernel', [this.ffnUnits, d], 'float32', glorot('ffn2'));
    this.ffnBias2 = this.addWeight('ffn2_bias', [d], 'float32', tf.initializers.zeros());
    this.norm2Gamma = this.addWeight('norm2_gamma', [d], 'float32', tf.initializers.ones());
    this.norm2Beta = this.addWeight('norm2_beta', [d], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(inputShape, this.name);
  }

  private mix(skip: tf.Tensor, sublayer: tf.Tensor): tf.Tensor {
    const w = this.residualWeight;
    return w === null ? tf.add(skip, sublayer) : tf.add(tf.mul(skip, w), tf.mul(sublayer, 1 - w));
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, this.name) as tf.Tensor3D;
      const [batch, time, d] = x.shape;
      const dropout = kwargs['training'] === true && this.dropout > 0
        ? { rate: this.dropout, seed: deriveSeed(this.seed, 'dropout', this.dropoutCalls++) }
        : undefined;
      const kernels = layerKernels();
      if (kernels && !dropout && this.activation === 'relu') {
        // The whole layer as one native op: one tape node, no tf ops between the kernels.
        return transformerEncoderNative(kernels, x, {
          ...readAttentionWeights(this.attention),
          norm1Gamma: this.norm1Gamma.read(), norm1Beta: this.norm1Beta.read(),
          ffnKernel1: this.ffnKernel1.read(), ffnBias1: this.ffnBias1.read(),
          ffnKernel2: this.ffnKernel2.read(), ffnBias2: this.ffnBias2.read(),
          norm2Gamma: this.norm2Gamma.read(), norm2Beta: this.norm2Beta.read(),
        }, { heads: this.heads, keyDim: this.keyDim, residualWeight: this.residualWeight, epsilon: this.epsilon });
      }
      const attended = selfAttention(x, readAttentionWeights(this.attention), this.heads, this.keyDim, dropout);
      if (kernels) {
        // gelu or dropout: per-sublayer native ops, the residual sums inside the native LayerNorm.
        const norm = (skip: tf.Tensor, sub: tf.Tensor, gamma: tf.LayerVariable, beta: tf.LayerVariable) =>
          layerNormalize(kernels, skip, sub, this.residualWeight, gamma.read(), beta.read(), this.epsilon);
        const h = norm(x, attended, this.norm1Gamma, this.norm1Beta);
        const pre = linear(kernels, h, this.ffnKernel1.read() as tf.Tensor2D, this.ffnBias1.read() as tf.Tensor1D, false);
        const hidden = activate(pre, this.activation);
        const ffn = linear(kernels, hidden, this.ffnKernel2.read() as tf.Tensor2D, this.ffnBias2.read() as tf.Tensor1D, false);
        return norm(h, ffn, this.norm2Gamma, this.norm2Beta);
      }
      const h = normalizeLastAxis(this.mix(x, attended), this.norm1Gamma.read(), this.norm1Beta.read(), this.epsilon);
      const rows = tf.reshape(h, [batch * time, d]);
      const hidden = activate(tf.add(matMul(rows, this.ffnKernel1.read()), this.ffnBias1.read()), this.activation);
      const ffn = tf.add(matMul(hidden, this.ffnKernel2.read()), this.ffnBias2.read());
      const out = this.mix(h, tf.reshape(ffn, [batch, time, d]));
      return normalizeLastAxis(out, this.norm2Gamma.read(), this.norm2Beta.read(), this.epsilon);
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
