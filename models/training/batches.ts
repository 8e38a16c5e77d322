/**
 * Batches gathered from the contiguous [breaths, 80, F] layout by breath index, in an order that
 * depends only on (seed, epoch): a resumed run draws the same batches as an uninterrupted one.
 */
import { createRng } from '../../core/index.ts';

/** The breaths of `indices` in a seeded random order (Fisher-Yates). */
export function epochOrder(indices: ArrayLike<number>, seed: number, epoch: number): Int32Array {
  const order = Int32Array.from(indices);
  const rng = createRng(seed, 'shuffle', epoch);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/** Copies the per-breath blocks of `width` values of the given breaths into one array. */
export function gatherBreaths<T extends Float32Array | Uint8Array>(
  source: T,
  breaths: ArrayLike<number>,
  width: number,
): T {
  const out = new (source.constructor as new (n: number) => T)(breaths.length * width);
  for (let i = 0; i < breaths.length; i++) {
    const b = breaths[i];
    out.set(source.subarray(b * width, (b + 1) * width), i * width);
  }
  return out;
}
