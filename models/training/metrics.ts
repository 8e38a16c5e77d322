/** The competition metric: mean absolute error over inspiratory rows, accumulated in float64. */
export function inspiratoryMaeFromMask(pred: ArrayLike<number>, target: ArrayLike<number>, inspiratory: ArrayLike<number>): number {
  if (pred.length !== target.length || pred.length !== inspiratory.length) {
    throw new Error(`inspiratoryMaeFromMask: lengths differ (pred ${pred.length}, target ${target.length}, mask ${inspiratory.length})`);
  }
  let sum = 0;
  let n = 0;
  for (let i = 0; i < pred.length; i++) {
    if (inspiratory[i]) {
      sum += Math.abs(pred[i] - target[i]);
      n++;
    }
  }
  return n === 0 ? NaN : sum / n;
}
