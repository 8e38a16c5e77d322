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
import { hostView, keepForGradient, scratchTensor } from './layer-ops.ts';

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

const WEIGHT_ORDER = [
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

/** Consecutive views of one array, by name and size. */
function carve<N extends string>(all: Float32Array, sizes: Record<N, number>): Record<N, Float32Array> {
  const views = {} as Record<N, Float32Array>;
  let at = 0;
  for (const name of Object.keys(sizes) as N[]) {
    views[name] = all.subarray(at, at + sizes[name]);
    at += sizes[name];
  }
  return views;
}

/** [D, HK] x 3 -> [D, 3 HK], row by row (Q | K | V side by side), as the attention kernel reads qkv. */
function concatColumns(parts: Float32Array[], rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols * parts.length);
  for (let r = 0; r < rows; r++) {
    parts.forEach((p, i) => out.set(p.subarray(r * cols, (r + 1) * cols), (r * parts.length + i) * cols));
  }
  return out;
}

/** One encoder layer of x [batch, time, D] through the native kernels, forward and backward. */
export function transformerEncoderNative(k: LayerKernels, x: tf.Tensor3D, w: EncoderWeights, dims: EncoderDims): tf.Tensor3D {
  const [batch, time, d] = x.shape;
  const { heads, keyDim, residualWeight: skipWeight, epsilon } = dims;
  const [kernelIn, ffn] = w.ffnKernel1.shape as [number, number];
  const hk = heads * keyDim, rows = batch * time;
  if (kernelIn !== d || w.queryKernel.shape[1] !== hk) {
    throw new Error(`transformerEncoderNative: weights [${w.ffnKernel1.shape}], [${w.queryKernel.shape}] do not fit width ${d} and ${heads} heads x ${keyDim}`);
  }
  const dense = (channels: number, filters: number, relu: boolean) =>
    ({ batch: 1, time: rows, channels, filters, taps: 1, offsets: ONE_TAP, relu });
  const attention = { batch, time, heads, keyDim };
  const norm = { rows, width: d, epsilon, skipWeight };
  const forwardSizes = {
    qkv: rows * 3 * hk, probs: batch * heads * time * time, context: rows * hk, att: rows * d, h: rows * d, pre: rows * ffn, f: rows * d,
  };
  const workSize = Object.values(forwardSizes).reduce((a, b) => a + b, 0);
  const run = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as Save;
    const [xIn, ...weightsIn] = args as tf.Tensor[];
    const wt = Object.fromEntries(WEIGHT_ORDER.map((name, i) => [name, weightsIn[i]])) as unknown as EncoderWeights;
    const work = scratchTensor([workSize]);
    const y = scratchTensor([batch, time, d]);
    // Views only after the allocations above (they may grow the wasm heap).
    const v = carve(hostView(work), forwardSizes);
    const xv = hostView(xIn);
    const qkvKernel = concatColumns([hostView(wt.queryKernel), hostView(wt.keyKernel), hostView(wt.valueKernel)], d, hk);
    const qkvBias = concatColumns([hostView(wt.queryBias), hostView(wt.keyBias), hostView(wt.valueBias)], 1, hk);
    k.convForward({ ...dense(d, 3 * hk, false), x: xv, kernel: qkvKernel, bias: qkvBias, out: { y: v.qkv } });
    k.attentionForward({ ...attention, qkv: v.qkv, out: { context: v.context, probs: v.probs } });
    k.convForward({ ...dense(hk, d, false), x: v.context, kernel: hostView(wt.outputKernel), bias: hostView(wt.outputBias), out: { y: v.att } });
    const stats1 = k.layerNormForward({
      ...norm, x: xv, residual: v.att, gamma: hostView(wt.norm1Gamma), beta: hostView(wt.norm1Beta), out: { y: v.h },
    }).stats;
    k.convForward({ ...dense(d, ffn, true), x: v.h, kernel: hostView(wt.ffnKernel1), bias: hostView(wt.ffnBias1), out: { y: v.pre } });
    k.convForward({ ...dense(ffn, d, false), x: v.pre, kernel: hostView(wt.ffnKernel2), bias: hostView(wt.ffnBias2), out: { y: v.f } });
    const stats2 = k.layerNormForward({
      ...norm, x: v.h, residual: v.f, gamma: hostView(wt.norm2Gamma), beta: hostView(wt.norm2Beta), out: { y: hostView(y) },
    }).stats;
    const kept = keepForGradient([xIn, work, wt.outputKernel, wt.norm1Gamma, wt.ffnKernel1, wt.ffnKernel2, wt.norm2Gamma]);
    save(kept.toSave);

    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const grads = [x.shape, ...WEIGHT_ORDER.map((name) => w[name].shape)].map((shape) => scratchTensor(shape));
      const backSizes = { dF: rows * d, dPre: rows * ffn, dHFfn: rows * d, dHSkip: rows * d, dAtt: rows * d, dContext: rows * hk, dQkv: rows * 3 * hk };
      const back = scratchTensor([Object.values(backSizes).reduce((a, b) => a + b, 0)]);
      const [xs, works, wo, g1, w1, w2, g2] = kept.restore(saved).map(hostView);
      const fv = carve(works, forwardSizes), b = carve(hostView(back), backSizes);
      const [dx, dWq, dbq, dWk, dbk, dWv, dbv, dWo, dbo, dg1, dbeta1, dW1, dc1, dW2, dc2, dg2, dbeta2] = grads.map(hostView);
      // h and x each feed two sublayers: their two gradients are summed inside the kernels (LN1's
      // dyAdd, the Q|K|V product's accumulateDx into LN1's dx), not by a pass over them in JS.
      k.layerNormBackward({ ...norm, x: fv.h, residual: fv.f, gamma: g2, stats: stats2, dy: hostView(dy), out: { dx: b.dHSkip, dResidual: b.dF, dGamma: dg2, dBeta: dbeta2 } });
      k.convBackward({ ...dense(ffn, d, false), x: fv.pre, kernel: w2, y: null, dy: b.dF, out: { dx: b.dPre, dKernel: dW2, dBias: dc2 } });
      k.convBackward({ ...dense(d, ffn, true), x: fv.h, kernel: w1, y: fv.pre, dy: b.dPre, out: { dx: b.dHFfn, dKernel: dW1, dBias: dc1 } });
      k.layerNormBackward({ ...norm, x: xs, residual: fv.att, gamma: g1, stats: stats1, dy: b.dHFfn, dyAdd: b.dHSkip, out: { dx, dResidual: b.dAtt, dGamma: dg1, dBeta: dbeta1 } });
      k.convBackward({ ...dense(hk, d, false), x: fv.context, kernel: wo, y: null, dy: b.dAtt, out: { dx: b.dContext, dKernel: dWo, dBias: dbo } });
      k.attentionBackward({ ...attention, qkv: fv.qkv, probs: fv.probs, dContext: b.dContext, out: { dQkv: b.dQkv } });
      const qkvGrad = k.convBackward({ ...dense(d, 3 * hk, false), x: xs, kernel: qkvKernel, y: null, dy: b.dQkv, accumulateDx: true, out: { dx } });
      for (let r = 0; r < d; r++) {
        [dWq, dWk, dWv].forEach((part, i) => part.set(qkvGrad.dKernel.subarray((3 * r + i) * hk, (3 * r + i + 1) * hk), r * hk));
      }
      [dbq, dbk, dbv].forEach((part, i) => part.set(qkvGrad.dBias.subarray(i * hk, (i + 1) * hk)));
      back.dispose();
      return grads;
    };
    return { value: y, gradFunc };
  }) as unknown as CustomGradFn);
  return run(x, ...WEIGHT_ORDER.map((name) => w[name])) as tf.Tensor3D;
}
