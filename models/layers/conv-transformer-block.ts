/**
 * The 1st-place hybrid's conv-transformer block (github.com/Shujun-He/Google-Brain-Ventilator,
 * Network.py) as one layer:
 *
 *   y = x + LN2(relu(ConvTranspose1D_k(Encoder(LN1(relu(Conv1D_k(x)))))))
 *
 * the Conv1D 'valid' (T -> T - k + 1 steps), the transposed one 'valid' back to T, both of the
 * input's width, the encoder post-norm with a relu FFN. It computes what Conv1DIm2col, LayerNorm,
 * TransformerEncoderLayer, Conv1DTranspose, LayerNorm and an Add compute in a row, from the same
 * initial weights (each part keeps its own seed); on cpu/wasm with the native addon the whole
 * block is one op (models/native/conv-block-op.ts) instead of a dozen tape nodes.
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../../core/seed.ts';
import { convBlockNative, layerKernels } from '../native/index.ts';
import { convolveAlongTime } from './conv1d-im2col.ts';
import { transposeConvolveAlongTime } from './conv1d-transpose.ts';
import { featureSize, singleInput, singleShape, type BaseLayerArgs, type Initializer } from './layer-args.ts';
import { normalizeLastAxis } from './layer-norm.ts';
import { sameOffsets } from './shifted-windows.ts';
import { addEncoderWeights, encodeSequence, readEncoderWeights, type EncoderVariables } from './transformer-encoder-layer.ts';

export interface ConvTransformerBlockArgs extends BaseLayerArgs {
  /** Taps of both convolutions. */
  kernelSize: number;
  heads: number;
  /** Width of each head's queries, keys and values. */
  keyDim: number;
  /** Hidden width of the encoder's feed-forward sublayer. */
  ffnUnits: number;
  /** Of the three LayerNorms (both of the block's and the encoder's). Default 1e-5. */
  epsilon?: number;
  /** Seeds of the parts' initialisers, as the separate layers would take them. */
  seeds: { conv: number; encoder: number; deconv: number };
}

export class ConvTransformerBlock extends tf.layers.Layer {
  static className = 'TidalConvTransformerBlock';
  readonly kernelSize: number;
  readonly heads: number;
  readonly keyDim: number;
  readonly ffnUnits: number;
  readonly epsilon: number;
  readonly seeds: { conv: number; encoder: number; deconv: number };
  private convKernel!: tf.LayerVariable;
  private convBias!: tf.LayerVariable;
  private convNormGamma!: tf.LayerVariable;
  private convNormBeta!: tf.LayerVariable;
  private encoder!: EncoderVariables;
  private deconvKernel!: tf.LayerVariable;
  private deconvBias!: tf.LayerVariable;
  private deconvNormGamma!: tf.LayerVariable;
  private deconvNormBeta!: tf.LayerVariable;

  constructor(args: ConvTransformerBlockArgs) {
    super(args);
    this.kernelSize = args.kernelSize;
    this.heads = args.heads;
    this.keyDim = args.keyDim;
    this.ffnUnits = args.ffnUnits;
    this.epsilon = args.epsilon ?? 1e-5;
    this.seeds = { ...args.seeds };
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const d = featureSize(singleShape(inputShape, this.name), this.name);
    const add = (name: string, shape: number[], init: Initializer) => this.addWeight(name, shape, 'float32', init);
    // The order and the initialisers of Conv1DIm2col, LayerNorm, TransformerEncoderLayer, Conv1DTranspose, LayerNorm.
    const kernel = (seed: number) => tf.initializers.glorotUniform({ seed: deriveSeed(seed, 'kernel') });
    this.convKernel = add('conv_kernel', [this.kernelSize, d, d], kernel(this.seeds.conv));
    this.convBias = add('conv_bias', [d], tf.initializers.zeros());
    this.convNormGamma = add('conv_norm_gamma', [d], tf.initializers.ones());
    this.convNormBeta = add('conv_norm_beta', [d], tf.initializers.zeros());
    this.encoder = addEncoderWeights((name, shape, init) => add(`encoder_${name}`, shape, init), d, this.heads, this.keyDim, this.ffnUnits, this.seeds.encoder);
    this.deconvKernel = add('deconv_kernel', [this.kernelSize, d, d], kernel(this.seeds.deconv));
    this.deconvBias = add('deconv_bias', [d], tf.initializers.zeros());
    this.deconvNormGamma = add('deconv_norm_gamma', [d], tf.initializers.ones());
    this.deconvNormBeta = add('deconv_norm_beta', [d], tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = singleShape(inputShape, this.name);
    const time = shape[shape.length - 2];
    if (time !== null && time < this.kernelSize) {
      throw new Error(`${this.name}: 'valid' convolutions of ${this.kernelSize} taps need at least ${this.kernelSize} time steps, got ${time}`);
    }
    return shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, this.name) as tf.Tensor3D;
      const { kernelSize, heads, keyDim, epsilon } = this;
      const w = {
        convKernel: this.convKernel.read() as tf.Tensor3D, convBias: this.convBias.read() as tf.Tensor1D,
        convNormGamma: this.convNormGamma.read(), convNormBeta: this.convNormBeta.read(),
        encoder: readEncoderWeights(this.encoder),
        deconvKernel: this.deconvKernel.read() as tf.Tensor3D, deconvBias: this.deconvBias.read() as tf.Tensor1D,
        deconvNormGamma: this.deconvNormGamma.read(), deconvNormBeta: this.deconvNormBeta.read(),
      };
      const kernels = layerKernels();
      if (kernels) return convBlockNative(kernels, x, w, { offsets: sameOffsets(kernelSize), heads, keyDim, epsilon });
      const conv = convolveAlongTime(x, w.convKernel, w.convBias, { kernelSize, dilation: 1, padding: 'valid', activation: 'relu', name: this.name });
      const encoded = encodeSequence(
        normalizeLastAxis(conv, w.convNormGamma, w.convNormBeta, epsilon) as tf.Tensor3D,
        w.encoder, { heads, keyDim, activation: 'relu', residualWeight: null, epsilon },
      );
      const deconv = transposeConvolveAlongTime(encoded, w.deconvKernel, w.deconvBias, { kernelSize, padding: 'valid', activation: 'relu' });
      return tf.add(x, normalizeLastAxis(deconv, w.deconvNormGamma, w.deconvNormBeta, epsilon));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      kernelSize: this.kernelSize,
      heads: this.heads,
      keyDim: this.keyDim,
      ffnUnits: this.ffnUnits,
      epsilon: this.epsilon,
      seeds: { ...this.seeds },
    };
  }
}
tf.serialization.registerClass(ConvTransformerBlock);

export function convTransformerBlock(args: ConvTransformerBlockArgs): ConvTransformerBlock {
  return new ConvTransformerBlock(args);
}
