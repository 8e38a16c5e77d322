/**
 * Argument and result shapes of the addon's layer kernels (native/src/addon.c), row-major arrays.
 * The recurrent kernels' shapes are in models/recurrence/kernel-api.ts.
 */

/**
 * Where a kernel writes its results instead of new arrays: Float32Arrays of the result's exact
 * size (views of tensors in the wasm heap), none overlapping an input; any not given is allocated.
 */
export type KernelOut<R> = { out?: Partial<R> };

/** y[b, t] = act(bias + sum_j x[b, t + offsets[j]] kernel[j]), zeros outside the sequence. */
export interface ConvForwardArgs extends KernelOut<{ y: Float32Array }> {
  batch: number; time: number; channels: number; filters: number; taps: number;
  /** Time offset of each tap, e.g. sameOffsets(kernelSize, dilation). */
  offsets: Int32Array;
  relu: boolean;
  x: Float32Array; // [batch, time, channels]
  kernel: Float32Array; // [taps, channels, filters]
  bias: Float32Array; // [filters]
}
export interface ConvBackwardArgs extends Omit<ConvForwardArgs, 'bias' | 'out'>, KernelOut<ConvBackwardResult> {
  /** The forward output; needed (for its mask) only with relu. */
  y: Float32Array | null;
  dy: Float32Array;
  /** Add the input's gradient into out.dx (which then holds another gradient of x) instead of overwriting it. */
  accumulateDx?: boolean;
}
export interface ConvBackwardResult { dx: Float32Array; dKernel: Float32Array; dBias: Float32Array }

/** softmax(Q K^T / sqrt(keyDim)) V per head over qkv [batch, time, 3 * heads * keyDim] (Q | K | V). */
export interface AttentionForwardArgs extends KernelOut<AttentionForwardResult> {
  batch: number; time: number; heads: number; keyDim: number; qkv: Float32Array;
}
export interface AttentionForwardResult {
  context: Float32Array; // [batch, time, heads * keyDim]
  probs: Float32Array; // [batch, heads, time, time], kept for the backward pass
}
export interface AttentionBackwardArgs extends Omit<AttentionForwardArgs, 'out'>, KernelOut<{ dQkv: Float32Array }> {
  probs: Float32Array; dContext: Float32Array;
}

/**
 * LayerNorm over rows of `width` of u = x, or of x + residual (skipWeight null), or of
 * skipWeight * x + (1 - skipWeight) * residual.
 */
export interface LayerNormForwardArgs extends KernelOut<{ y: Float32Array }> {
  rows: number; width: number; epsilon: number;
  x: Float32Array; residual: Float32Array | null; skipWeight: number | null;
  gamma: Float32Array; beta: Float32Array;
  /** Added to the result after the affine step (a skip around the normalisation: x + LN(c)); not y's memory. */
  addend?: Float32Array | null;
}
export interface LayerNormForwardResult { y: Float32Array; stats: Float32Array }
/** beta does not enter the backward pass. */
export interface LayerNormBackwardArgs extends Omit<LayerNormForwardArgs, 'out' | 'beta' | 'addend'>, KernelOut<LayerNormBackwardResult> {
  stats: Float32Array; dy: Float32Array;
  /** A second part of dy, summed with it on read (the output feeds two sublayers). */
  dyAdd?: Float32Array;
}
export interface LayerNormBackwardResult {
  dx: Float32Array; dResidual?: Float32Array; dGamma: Float32Array; dBeta: Float32Array;
}

/**
 * One Adam step, w, m and v updated in place; the hyper-parameters as the float32 scalars the tf
 * ops use (oneMinusBeta1 = fround(1 - beta1), c1 and c2 the bias corrections, decay AdamW's
 * 1 - lr * weightDecay or 1).
 */
export interface AdamUpdateHeapArgs {
  /** The wasm memory. */
  heap: Uint8Array;
  /** Per variable: byte offsets in `heap` of the variable, its two moments and its gradient, then its size. */
  slots: Uint32Array;
  beta1: number; oneMinusBeta1: number; beta2: number; oneMinusBeta2: number;
  c1: number; c2: number; epsilon: number; lr: number; decay: number;
}

export interface LayerKernels {
  convForward(a: ConvForwardArgs): { y: Float32Array };
  convBackward(a: ConvBackwardArgs): ConvBackwardResult;
  attentionForward(a: AttentionForwardArgs): AttentionForwardResult;
  attentionBackward(a: AttentionBackwardArgs): { dQkv: Float32Array };
  layerNormForward(a: LayerNormForwardArgs): LayerNormForwardResult;
  layerNormBackward(a: LayerNormBackwardArgs): LayerNormBackwardResult;
  adamUpdateHeap(a: AdamUpdateHeapArgs): void;
}
