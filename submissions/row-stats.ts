/** Per-row statistics across several prediction arrays (folds or models) of equal length. */

export function checkSameLength(predictions: ArrayLike<number>[], what: string): number {
  if (predictions.length === 0) throw new Error(`${what}: no predictions to combine`);
  const n = predictions[0].length;
  predictions.forEach((p, i) => {
    if (p.length !== n) throw new Error(`${what}: prediction ${i} has ${p.length} rows, prediction 0 has ${n}`);
  });
  return n;
}

/** Median of values[0..count) in place (sorts that prefix): insertion sort, since count is a handful of folds or models. */
export function medianInPlace(values: Float64Array, count: number): number {
  for (let i = 1; i < count; i++) {
    const v = values[i];
    let j = i - 1;
    while (j >= 0 && values[j] > v) {
      values[j + 1] = values[j];
      j--;
    }
    values[j + 1] = v;
  }
  const mid = count >> 1;
  return count % 2 === 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

export function rowMean(predictions: ArrayLike<number>[], what: string): Float32Array {
  const n = checkSameLength(predictions, what);
  const out = new Float32Array(n);
  const k = predictions.length;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let m = 0; m < k; m++) s += predictions[m][i];
    out[i] = s / k;
  }
  return out;
}

export function rowMedian(predictions: ArrayLike<number>[], what: string): Float32Array {
  const n = checkSameLength(predictions, what);
  const out = new Float32Array(n);
  const k = predictions.length;
  const scratch = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let m = 0; m < k; m++) scratch[m] = predictions[m][i];
    out[i] = medianInPlace(scratch, k);
  }
  return out;
}
