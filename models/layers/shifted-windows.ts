/**
 * The im2col step of a 1-D convolution along time: for each offset, the input shifted by that
 * many steps (zeros where it reaches outside the sequence), concatenated along features.
 * Pad once, one slice per offset, one concat: every op has a gradient on every backend, unlike
 * Conv2DBackpropFilter, which the wasm backend lacks.
 */
import * as tf from '@tensorflow/tfjs';
import { hostView, scratchTensor, shiftTimeRows } from '../native/index.ts';

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

/**
 * How a convolution treats the sequence ends: 'same' keeps the length (zeros read outside it);
 * 'valid' is PyTorch's padding=0: a convolution keeps only the rows whose taps all lie inside the
 * sequence (span fewer), a transposed convolution writes every row its taps reach (span more).
 */
export type ConvPadding = 'same' | 'valid';

export function checkConvPadding(padding: unknown, layerName: string): ConvPadding {
  if (padding !== 'same' && padding !== 'valid') {
    throw new Error(`${layerName}: padding must be 'same' or 'valid', got ${JSON.stringify(padding)}`);
  }
  return padding;
}

/** The rows of a 'same' result [B, T, F] whose taps (offsets) all read inside the sequence: the 'valid' result. */
export function validRows(y: tf.Tensor3D, offsets: readonly number[], layerName: string): tf.Tensor3D {
  const before = -Math.min(...offsets);
  const after = Math.max(...offsets);
  if (y.shape[1] - before - after < 1) {
    throw new Error(`${layerName}: 'valid' padding needs at least ${before + after + 1} time steps, got ${y.shape[1]}`);
  }
  return padTime(y, -before, -after);
}

/**
 * x [B, T, C] with zero rows around it such that the 'same' transposed convolution of the result
 * (the adjoint of a 'same' conv with these offsets) is the 'valid' one of x: T + span rows.
 */
export function padForValidTranspose(x: tf.Tensor3D, offsets: readonly number[]): tf.Tensor3D {
  return padTime(x, -Math.min(...offsets), Math.max(...offsets));
}

const HOST_MEMORY_BACKENDS = new Set(['cpu', 'wasm']);

/**
 * x [B, T, C] with `before` zero rows added at the start of time and `after` at the end; a
 * negative count removes rows instead. Its gradient is the opposite resize of dy.
 */
export function padTime(x: tf.Tensor3D, before: number, after: number): tf.Tensor3D {
  if (before === 0 && after === 0) return x;
  const resize = tf.customGrad(((...args: unknown[]) => {
    const [input] = args as [tf.Tensor3D];
    return { value: resizeTime(input, before, after), gradFunc: (dy: tf.Tensor3D) => resizeTime(dy, -before, -after) };
  }) as Parameters<typeof tf.customGrad>[0]);
  return resize(x) as tf.Tensor3D;
}

function resizeTime(x: tf.Tensor3D, before: number, after: number): tf.Tensor3D {
  const [batch, time, channels] = x.shape;
  const outTime = time + before + after;
  if (outTime < 1) throw new Error(`padTime: ${time} steps ${before >= 0 ? '+' : '-'} ${Math.abs(before)} ${after >= 0 ? '+' : '-'} ${Math.abs(after)} leaves none`);
  if (!HOST_MEMORY_BACKENDS.has(tf.getBackend())) {
    // Input rows first..last-1 land at row + before of the output.
    const first = Math.max(0, -before);
    const last = Math.min(time, outTime - before);
    return tf.tidy(() => {
      const kept = first > 0 || last < time ? tf.slice(x, [0, first, 0], [-1, last - first, -1]) : x;
      const [start, end] = [Math.max(0, before), Math.max(0, after)];
      return start + end > 0 ? tf.pad(kept, [[0, 0], [start, end], [0, 0]]) : kept;
    });
  }
  // The host-memory backends' Slice and Pad loop per element (measured 5-10x slower than the
  // convolution itself on cpu); one block copy per breath instead, from x's own memory into the
  // result's (on wasm both in the heap: no copy out of it and back).
  const result = scratchTensor([batch, outTime, channels]);
  shiftTimeRows(hostView(x), hostView(result), batch, time, outTime, channels, before);
  return result as tf.Tensor3D;
}
