/**
 * The im2col step of a 1-D convolution along time: for each offset, the input shifted by that
 * many steps (zeros where it reaches outside the sequence), concatenated along features.
 * Pad once, one slice per offset, one concat: every op has a gradient on every backend, unlike
 * Conv2DBackpropFilter, which the wasm backend lacks.
 */
import * as tf from '@tensorflow/tfjs';

/** Row t of block j of the result is x[t + offsets[j]] ([B, T, C] -> [B, T, offsets.length * C]). */
export function shiftedWindows(x: tf.Tensor3D, offsets: readonly number[]): tf.Tensor3D {
  const time = x.shape[1];
  const before = Math.max(0, -Math.min(...offsets));
  const after = Math.max(0, Math.max(...offsets));
  const padded = before + after > 0 ? tf.pad(x, [[0, 0], [before, after], [0, 0]]) : x;
  const slices = offsets.map((o) =>
    before + o === 0 && after - o === 0 ? padded : tf.slice(padded, [0, before + o, 0], [-1, time, -1]),
  );
  return slices.length === 1 ? slices[0] : tf.concat(slices, 2);
}

/** Offsets of a 'same'-padded kernel of size k: TF/Keras put floor((span - 1) / 2) zeros before. */
export function sameOffsets(kernelSize: number, dilation = 1): number[] {
  const left = Math.floor((dilation * (kernelSize - 1)) / 2);
  return Array.from({ length: kernelSize }, (_, j) => j * dilation - left);
}
