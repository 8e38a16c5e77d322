/**
 * Quantiles by selection rather than sorting: the robust scaler needs three quantiles of each of
 * ~60 columns over millions of training rows, and a full sort per column would dominate a fold.
 */

/** Rearranges `a` so that a[k] is its k-th smallest value and every later entry is >= it; returns a[k]. */
export function selectInPlace(a: Float32Array | Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    const x = a[lo];
    const y = a[mid];
    const z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    // Now a[lo..j] <= pivot <= a[i..hi], and anything between equals the pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** Quantile q in [0, 1] with linear interpolation between order statistics (numpy's default); reorders `a`. */
export function quantileInPlace(a: Float32Array | Float64Array, q: number): number {
  if (a.length === 0) throw new Error('quantile of an empty sample');
  const position = q * (a.length - 1);
  const k = Math.floor(position);
  const below = selectInPlace(a, k);
  const fraction = position - k;
  if (fraction === 0) return below;
  let above = Infinity;
  for (let i = k + 1; i < a.length; i++) if (a[i] < above) above = a[i];
  return below + fraction * (above - below);
}
