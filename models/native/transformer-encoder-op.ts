/**
 * A whole post-norm Transformer encoder layer (relu FFN, no dropout) as one tensor op: one
 * tf.customGrad whose forward and backward run the addon's Dense, attention and LayerNorm kernels
 * in sequence. The same kernels as the layer's per-sublayer native ops (so the same numbers), but
 * one tape node instead of seven, no concat of the Q|K|V weights and no split of their gradient,
 * no tf Add for the gradients of x and h (each feeds two sublayers), and every intermediate the
 * backward pass needs in one workspace tensor, saved once: at the small configs' sizes each of
 * those tf kernels and saved clones cost about as much as a kernel call (bench/train-overhead.ts).
 *
 *   qkv = x [Wq | Wk | Wv] + [bq | bk | bv];  context = attention(qkv);  att = context Wo + bo
 *   h = LN1(mix(x, att));  pre = relu(h W1 + c1);  f = pre W2 + c2;  y = LN2(mix(h, f))
 *
 * mix(a, b) = a + b, or w a + (1 - w) b with a residual weight w.
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerKernels } from './kernel-api.ts';
import { carve, hostView, keepForGradient, scratchTensor } from './layer-ops.ts';

type CustomGradFn = Parameters<typeof tf.customGrad>[0];
type Save = (tensors: tf.Tensor[]) => void;

/** The layer's weights in the op's input order (after x). */
export interface EncoderWeights {
  queryKernel: tf.Tensor; queryBias: tf.Tensor; keyKernel: tf.Tensor; keyBias: tf.Tensor;
  valueKernel: tf.Tensor; valueBias: tf.Tensor; outputKernel: tf.Tensor; outputBias: tf.Tensor;
  norm1Gamma: tf.Tensor; norm1Beta: tf.Tensor;
  ffnKernel1: tf.Tensor; ffnBias1: tf.Tensor; ffnKernel2: tf.Tensor; ffnBias2: tf.Tensor;
  norm2Gamma: tf.Tensor; norm2Beta: tf.Tensor;
}

export const ENCODER_WEIGHT_ORDER = [
  'queryKernel', 'queryBias', 'keyKernel', 'keyBias', 'valueKernel', 'valueBias', 'outputKernel', 'outputBias',
  'norm1Gamma', 'norm1Beta', 'ffnKernel1', 'ffnBias1', 'ffnKernel2', 'ffnBias2', 'norm2Gamma', 'norm2Beta',
] as const;

export interface EncoderDims {
  heads: number;
  keyDim: number;
  /** Skip weight w in (0, 1), or null for the plain sum. */
  residualWeight: number | null;
  epsilon: number;
}

const ONE_TAP = Int32Array.of(0);

/** [D, HK] x 3 -> [D, 3 HK], row by row (Q | K | V side by side), as the attention kernel reads qkv. */
function concatColumns(parts: Float32Array[], rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols * parts.length);
  for (let r = 0; r < rows; r++) {
    parts.forEach((p, i) => out.set(p.subarray(r * cols, (r + 1) * cols), (r * parts.length + i) * cols));
  }
  return out;
}

/** The encoder's weights as host arrays, in ENCODER_WEIGHT_ORDER. */
export type EncoderArrays = Record<keyof EncoderWeights, Float32Array>;

/**
 * One encoder layer's kernel calls over host arrays, for the tensor ops that run it (this file's,
 * and the conv block's, which runs an encoder inside its own op): the forward pass keeps every
 * intermediate the backward pass needs in one `work` array of workSize floats; the backward pass
 * uses `back` (backSize floats) as scratch.
 */
export interface EncoderPass {
  workSize: number;
  backSize: number;
  /** y = the layer of x; returns what the backward pass needs besides `work`. */
  forward(x: Float32Array, w: EncoderArrays, work: Float32Array, y: Float32Array): EncoderState;
  /** dx (overwritten) and the weights' gradients (grads, in ENCODER_WEIGHT_ORDER) from dy. */
  backward(x: Float32Array, w: EncoderArrays, work: Float32Array, state: EncoderState, dy: Float32Array,
    back: Float32Array, dx: Float32Array, grads: EncoderArrays): void;
}
export interface EncoderState { stats1: Float32Array; stats2: Float32Array; qkvKernel: Float32Array }

/** The encoder pass of x [batch, time, d] with FFN width ffn. */
export function encoderPass(k: LayerKernels, batch: number, time: number, d: number, ffn: number, dims: EncoderDims): EncoderPass {
  const { heads, keyDim, residualWeight: skipWeight, epsilon } = dims;
  const hk = heads * keyDim, rows = batch * time;
  const dense = (channels: number, filters: number, relu: boolean) =>
    ({ batch: 1, time: rows, channels, filters, taps: 1, offsets: ONE_TAP, relu });
  const attention = { batch, time, heads, keyDim };
  const norm = { rows, width: d, epsilon, skipWeight };
  const forwardSizes = {
    qkv: rows * 3 * hk, probs: batch * heads * time * time, context: rows * hk, att: rows * d, h: rows * d, pre: rows * ffn, f: rows * d,
  };
  const backSizes = { dF: rows * d, dPre: rows * ffn, dHFfn: rows * d, dHSkip: rows * d, dAtt: rows * d, dContext: rows * hk, dQkv: rows * 3 * hk };
  const total = (sizes: Record<string, number>) => Object.values(sizes).reduce((a, b) => a + b, 0);
  return {
    workSize: total(forwardSizes),
    backSize: total(backSizes),
    forward(x, w, work, y) {
      const v = carve(work, forwardSizes);
      const qkvKernel = concatColumns([w.queryKernel, w.keyKernel, w.valueKernel], d, hk);
      const qkvBias = concatColumns([w.queryBias, w.keyBias, w.valueBias], 1, hk);
      k.convForward({ ...dense(d, 3 * hk, false), x, kernel: qkvKernel, bias: qkvBias, out: { y: v.qkv } });
      k.attentionForward({ ...attention, qkv: v.qkv, out: { context: v.context, probs: v.probs } });
      k.convForward({ ...dense(hk, d, false), x: v.context, kernel: w.outputKernel, bias: w.outputBias, out: { y: v.att } });
      const stats1 = k.layerNormForward({ ...norm, x, residual: v.att, gamma: w.norm1Gamma, beta: w.norm1Beta, out: { y: v.h } }).stats;
      k.convForward({ ...dense(d, ffn, true), x: v.h, kernel: w.ffnKernel1, bias: w.ffnBias1, out: { y: v.pre } });
      k.convForward({ ...dense(ffn, d, false), x: v.pre, kernel: w.ffnKernel2, bias: w.ffnBias2, out: { y: v.f } });
      const stats2 = k.layerNormForward({ ...norm, x: v.h, residual: v.f, gamma: w.norm2Gamma, beta: w.norm2Beta, out: { y } }).stats;
      return { stats1, stats2, qkvKernel };
    },
    backward(x, w, work, state, dy, back, dx, g) {
      const fv = carve(work, forwardSizes), b = carve(back, backSizes);
      // h and x each feed two sublayers: their two gradients are summed inside the kernels (LN1's
      // dyAdd, the Q|K|V product's accumulateDx into LN1's dx), not by a pass over them in JS.
      k.layerNormBackward({ ...norm, x: fv.h, residual: fv.f, gamma: w.norm2Gamma, stats: state.stats2, dy, out: { dx: b.dHSkip, dResidual: b.dF, dGamma: g.norm2Gamma, dBeta: g.norm2Beta } });
      k.convBackward({ ...dense(ffn, d, false), x: fv.pre, kernel: w.ffnKernel2, y: null, dy: b.dF, out: { dx: b.dPre, dKernel: g.ffnKernel2, dBias: g.ffnBias2 } });
      k.convBackward({ ...dense(d, ffn, true), x: fv.h, kernel: w.ffnKernel1, y: fv.pre, dy: b.dPre, out: { dx: b.dHFfn, dKernel: g.ffnKernel1, dBias: g.ffnBias1 } });
      k.layerNormBackward({ ...norm, x, residual: fv.att, gamma: w.norm1Gamma, stats: state.stats1, dy: b.dHFfn, dyAdd: b.dHSkip, out: { dx, dResidual: b.dAtt, dGamma: g.norm1Gamma, dBeta: g.norm1Beta } });
      k.convBackward({ ...dense(hk, d, false), x: fv.context, kernel: w.outputKernel, y: null, dy: b.dAtt, out: { dx: b.dContext, dKernel: g.outputKernel, dBias: g.outputBias } });
      k.attentionBackward({ ...attention, qkv: fv.qkv, probs: fv.probs, dContext: b.dContext, out: { dQkv: b.dQkv } });
      const qkvGrad = k.convBackward({ ...dense(d, 3 * hk, false), x, kernel: state.qkvKernel, y: null, dy: b.dQkv, accumulateDx: true, out: { dx } });
      for (let r = 0; r < d; r++) {
        [g.queryKernel, g.keyKernel, g.valueKernel].forEach((part, i) => part.set(qkvGrad.dKernel.subarray((3 * r + i) * hk, (3 * r + i + 1) * hk), r * hk));
      }
      [g.queryBias, g.keyBias, g.valueBias].forEach((part, i) => part.set(qkvGrad.dBias.subarray(i * hk, (i + 1) * hk)));
    },
  };
}

/** Arrays in ENCODER_WEIGHT_ORDER by weight name. */
export function byWeightName(arrays: readonly Float32Array[]): EncoderArrays {
  return Object.fromEntries(ENCODER_WEIGHT_ORDER.map((name, i) => [name, arrays[i]])) as EncoderArrays;
}

/** Checks the weights fit width d; returns the FFN width. */
export function encoderFfnUnits(w: EncoderWeights, d: number, dims: EncoderDims, caller: string): number {
  const [kernelIn, ffn] = w.ffnKernel1.shape as [number, number];
  if (kernelIn !== d || w.queryKernel.shape[1] !== dims.heads * dims.keyDim) {
    throw new Error(`${caller}: weights [${w.ffnKernel1.shape}], [${w.queryKernel.shape}] do not fit width ${d} and ${dims.heads} heads x ${dims.keyDim}`);
  }
  return ffn;
}

/** One encoder layer of x [batch, time, D] through the native kernels, forward and backward. */
export function transformerEncoderNative(k: LayerKernels, x: tf.Tensor3D, w: EncoderWeights, dims: EncoderDims): tf.Tensor3D {
  const [batch, time, d] = x.shape;
  const pass = encoderPass(k, batch, time, d, encoderFfnUnits(w, d, dims, 'transformerEncoderNative'), dims);
  const run = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as Save;
    const [xIn, ...weightsIn] = args as tf.Tensor[];
    const work = scratchTensor([pass.workSize]);
    const y = scratchTensor([batch, time, d]);
    // Views only after the allocations above (they may grow the wasm heap).
    const state = pass.forward(hostView(xIn), byWeightName(weightsIn.map(hostView)), hostView(work), hostView(y));
    const kept = keepForGradient([xIn, work, ...weightsIn]);
    save(kept.toSave);

    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const grads = [x.shape, ...ENCODER_WEIGHT_ORDER.map((name) => w[name].shape)].map((shape) => scratchTensor(shape));
      const back = scratchTensor([pass.backSize]);
      const [xs, works, ...weights] = kept.restore(saved);
      const [dx, ...weightGrads] = grads.map(hostView);
      pass.backward(hostView(xs), byWeightName(weights.map(hostView)), hostView(works), state, hostView(dy), hostView(back), dx, byWeightName(weightGrads));
      back.dispose();
      return grads;
    };
    return { value: y, gradFunc };
  }) as unknown as CustomGradFn);
  return run(x, ...ENCODER_WEIGHT_ORDER.map((name) => w[name])) as tf.Tensor3D;
}
