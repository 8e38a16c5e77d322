/**
 * The 1st-place hybrid's conv-transformer block as one tensor op: one tf.customGrad whose forward
 * and backward run the addon's kernels in sequence,
 *
 *   u = relu(conv(x)) over every step, v = u's valid steps (T' = T - span), h = LN1(v),
 *   e = encoder(h), p = e padded back to T steps, c = relu(convT(p)), y = x + LN2(c),
 *
 * conv the 'same' convolution with `offsets` and convT its adjoint (offsets negated, each tap's
 * kernel transposed). The same kernel calls in the same order as the separate layers (so the same
 * numbers), without the tape nodes, slices, pads, kernel transposes, adds and saved clones between
 * them: at the small configs' sizes those cost about as much as the kernels (bench/train-overhead.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerKernels } from './kernel-api.ts';
import { carve, hostView, keepForGradient, scratchTensor, shiftTimeRows } from './layer-ops.ts';
import {
  ENCODER_WEIGHT_ORDER, byWeightName, encoderFfnUnits, encoderPass, type EncoderArrays, type EncoderWeights,
} from './transformer-encoder-op.ts';

type CustomGradFn = Parameters<typeof tf.customGrad>[0];
type Save = (tensors: tf.Tensor[]) => void;

/** The block's weights; the kernels in Keras' layouts: conv [k, in, out], convT [k, out, in]. */
export interface ConvBlockWeights {
  convKernel: tf.Tensor; convBias: tf.Tensor; convNormGamma: tf.Tensor; convNormBeta: tf.Tensor;
  encoder: EncoderWeights;
  deconvKernel: tf.Tensor; deconvBias: tf.Tensor; deconvNormGamma: tf.Tensor; deconvNormBeta: tf.Tensor;
}

export interface ConvBlockDims {
  /** Time offset of each tap of the 'same' convolution (sameOffsets(kernelSize)). */
  offsets: readonly number[];
  heads: number;
  keyDim: number;
  /** Of both LayerNorms and the encoder's. */
  epsilon: number;
}

const BEFORE = ['convKernel', 'convBias', 'convNormGamma', 'convNormBeta'] as const;
const AFTER = ['deconvKernel', 'deconvBias', 'deconvNormGamma', 'deconvNormBeta'] as const;

/** The op's weight tensors in its input order (after x). */
function weightList(w: ConvBlockWeights): tf.Tensor[] {
  return [...BEFORE.map((n) => w[n]), ...ENCODER_WEIGHT_ORDER.map((n) => w.encoder[n]), ...AFTER.map((n) => w[n])];
}

type BlockArrays = Record<(typeof BEFORE)[number] | (typeof AFTER)[number], Float32Array> & { encoder: EncoderArrays };

/** Arrays in weightList's order (the weights, or their gradients) by name. */
function byBlockName(arrays: readonly Float32Array[]): BlockArrays {
  const named = (names: readonly string[], from: number) => Object.fromEntries(names.map((n, i) => [n, arrays[from + i]]));
  const encoderAt = BEFORE.length, afterAt = encoderAt + ENCODER_WEIGHT_ORDER.length;
  return {
    ...named(BEFORE, 0), ...named(AFTER, afterAt),
    encoder: byWeightName(arrays.slice(encoderAt, afterAt)),
  } as BlockArrays;
}

/** kernel [taps, a, b] -> [taps, b, a] into out. */
function transposeTaps(kernel: Float32Array, taps: number, a: number, b: number, out: Float32Array): Float32Array {
  for (let j = 0; j < taps; j++) {
    for (let i = 0; i < a; i++) {
      for (let c = 0; c < b; c++) out[(j * b + c) * a + i] = kernel[(j * a + i) * b + c];
    }
  }
  return out;
}

/** The block of x [batch, time, d] through the native kernels, forward and backward. */
export function convBlockNative(k: LayerKernels, x: tf.Tensor3D, w: ConvBlockWeights, dims: ConvBlockDims): tf.Tensor3D {
  const [batch, time, d] = x.shape;
  const taps = dims.offsets.length;
  const before = -Math.min(...dims.offsets), after = Math.max(...dims.offsets);
  const inner = time - before - after;
  if (inner < 1) throw new Error(`convBlockNative: 'valid' padding needs at least ${before + after + 1} time steps, got ${time}`);
  if (!tf.util.arraysEqual(w.convKernel.shape, [taps, d, d]) || !tf.util.arraysEqual(w.deconvKernel.shape, [taps, d, d])) {
    throw new Error(`convBlockNative: kernels [${w.convKernel.shape}], [${w.deconvKernel.shape}] do not fit ${taps} taps of width ${d}`);
  }
  const encoderDims = { heads: dims.heads, keyDim: dims.keyDim, residualWeight: null, epsilon: dims.epsilon };
  const encoder = encoderPass(k, batch, inner, d, encoderFfnUnits(w.encoder, d, encoderDims, 'convBlockNative'), encoderDims);
  const conv = { batch, time, channels: d, filters: d, taps, offsets: Int32Array.from(dims.offsets), relu: true };
  const deconv = { ...conv, offsets: Int32Array.from(dims.offsets, (o) => -o) };
  const norm = (rows: number) => ({ rows, width: d, epsilon: dims.epsilon, residual: null, skipWeight: null });
  const full = batch * time * d, valid = batch * inner * d;
  const forwardSizes = { u: full, v: valid, h: valid, encoder: encoder.workSize, e: valid, p: full, c: full };
  const backSizes = { dc: full, dp: full, de: valid, dh: valid, dv: valid, du: full, dDeconvTaps: taps * d * d, encoder: encoder.backSize };
  const total = (sizes: Record<string, number>) => Object.values(sizes).reduce((a, b) => a + b, 0);
  /** inner steps a sequence -> time steps, zeros around them (convT's input, and conv's gradient). */
  const pad = (from: Float32Array, to: Float32Array) => shiftTimeRows(from, to, batch, inner, time, d, before);
  /** time steps a sequence -> the inner (valid) ones (conv's output, and convT's gradient). */
  const crop = (from: Float32Array, to: Float32Array) => shiftTimeRows(from, to, batch, time, inner, d, -before);
  const weightTensors = weightList(w);
  const run = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as Save;
    const [xIn, ...weightsIn] = args as tf.Tensor[];
    const work = scratchTensor([total(forwardSizes)]);
    const y = scratchTensor([batch, time, d]);
    // Views only after the allocations above (they may grow the wasm heap).
    const v = carve(hostView(work), forwardSizes);
    const wv = byBlockName(weightsIn.map(hostView));
    const xv = hostView(xIn), yv = hostView(y);
    k.convForward({ ...conv, x: xv, kernel: wv.convKernel, bias: wv.convBias, out: { y: v.u } });
    crop(v.u, v.v);
    const stats1 = k.layerNormForward({ ...norm(batch * inner), x: v.v, gamma: wv.convNormGamma, beta: wv.convNormBeta, out: { y: v.h } }).stats;
    const encoderState = encoder.forward(v.h, wv.encoder, v.encoder, v.e);
    pad(v.e, v.p);
    const deconvTaps = transposeTaps(wv.deconvKernel, taps, d, d, new Float32Array(taps * d * d));
    k.convForward({ ...deconv, x: v.p, kernel: deconvTaps, bias: wv.deconvBias, out: { y: v.c } });
    // The skip is added inside the kernel: a JS loop over the block's floats cost about as much as the LayerNorm.
    const stats2 = k.layerNormForward({
      ...norm(batch * time), x: v.c, gamma: wv.deconvNormGamma, beta: wv.deconvNormBeta, addend: xv, out: { y: yv },
    }).stats;
    const kept = keepForGradient([xIn, work, ...weightsIn]);
    save(kept.toSave);

    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const grads = [x, ...weightTensors].map((t) => scratchTensor(t.shape));
      const back = scratchTensor([total(backSizes)]);
      const [xs, works, ...weights] = kept.restore(saved).map(hostView);
      const f = carve(works, forwardSizes), b = carve(hostView(back), backSizes);
      const wv = byBlockName(weights);
      const [dx, ...weightGrads] = grads.map(hostView);
      const g = byBlockName(weightGrads);
      const dyv = hostView(dy);
      k.layerNormBackward({
        ...norm(batch * time), x: f.c, gamma: wv.deconvNormGamma, stats: stats2, dy: dyv,
        out: { dx: b.dc, dGamma: g.deconvNormGamma, dBeta: g.deconvNormBeta },
      });
      k.convBackward({ ...deconv, x: f.p, kernel: deconvTaps, y: f.c, dy: b.dc, out: { dx: b.dp, dKernel: b.dDeconvTaps, dBias: g.deconvBias } });
      transposeTaps(b.dDeconvTaps, taps, d, d, g.deconvKernel);
      crop(b.dp, b.de);
      encoder.backward(f.h, wv.encoder, f.encoder, encoderState, b.de, b.encoder, b.dh, g.encoder);
      k.layerNormBackward({
        ...norm(batch * inner), x: f.v, gamma: wv.convNormGamma, stats: stats1, dy: b.dh,
        out: { dx: b.dv, dGamma: g.convNormGamma, dBeta: g.convNormBeta },
      });
      pad(b.dv, b.du);
      // x feeds the conv and the skip: its gradient is dy plus the conv's, summed in the kernel.
      dx.set(dyv);
      k.convBackward({ ...conv, x: xs, kernel: wv.convKernel, y: f.u, dy: b.du, accumulateDx: true, out: { dx, dKernel: g.convKernel, dBias: g.convBias } });
      back.dispose();
      return grads;
    };
    return { value: y, gradFunc };
  }) as unknown as CustomGradFn);
  return run(x, ...weightTensors) as tf.Tensor3D;
}
