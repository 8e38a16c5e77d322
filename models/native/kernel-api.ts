/**
 * Argument and result shapes of the addon's layer kernels (native/src/addon.c), row-major arrays.
 * The recurrent kernels' shapes are in models/recurrence/kernel-api.ts.
 */

/** y[b, t] = act(bias + sum_j x[b, t + offsets[j]] kernel[j]), zeros outside the sequence. */
export interface ConvForwardArgs {
  batch: number; time: number; channels: number; filters: number; taps: number;
  /** Time offset of each tap, e.g. sameOffsets(kernelSize, dilation). */
  offsets: Int32Array;
  relu: boolean;
  x: Float32Array; // [batch, time, channels]
  kernel: Float32Array; // [taps, channels, filters]
  bias: Float32Array; // [filters]
}
export interface ConvBackwardArgs extends Omit<ConvForwardArgs, 'bias'> {
  /** The forward output; needed (for its mask) only with relu. */
  y: Float32Array | null;
  dy: Float32Array;
}
export interface ConvBackwardResult { dx: Float32Array; dKernel: Float32Array; dBias: Float32Array }

/** softmax(Q K^T / sqrt(keyDim)) V per head over qkv [batch, time, 3 * heads * keyDim] (Q | K | V). */
export interface AttentionForwardArgs { batch: number; time: number; heads: number; keyDim: number; qkv: Float32Array }
export interface AttentionForwardResult {
  context: Float32Array; // [batch, time, heads * keyDim]
  probs: Float32Array; // [batch, heads, time, time], kept for the backward pass
}
export interface AttentionBackwardArgs extends AttentionForwardArgs { probs: Float32Array; dContext: Float32Array }

/**
 * LayerNorm over rows of `width` of u = x, or of x + residual (skipWeight null), or of
 * skipWeight * x + (1 - skipWeight) * residual.
 */
export interface LayerNormForwardArgs {
  rows: number; width: number; epsilon: number;
  x: Float32Array; residual: Float32Array | null; skipWeight: number | null;
  gamma: Float32Array; beta: Float32Array;
}
export interface LayerNormForwardResult { y: Float32Array; stats: Float32Array }
export interface LayerNormBackwardArgs extends LayerNormForwardArgs { stats: Float32Array; dy: Float32Array }
export interface LayerNormBackwardResult {
  dx: Float32Array; dResidual?: Float32Array; dGamma: Float32Array; dBeta: Float32Array;
}

export interface LayerKernels {
  convForward(a: ConvForwardArgs): { y: Float32Array };
  convBackward(a: ConvBackwardArgs): ConvBackwardResult;
  attentionForward(a: AttentionForwardArgs): AttentionForwardResult;
  attentionBackward(a: AttentionBackwardArgs): { dQkv: Float32Array };
  layerNormForward(a: LayerNormForwardArgs): LayerNormForwardResult;
  layerNormBackward(a: LayerNormBackwardArgs): LayerNormBackwardResult;
}
