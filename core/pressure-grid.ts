/**
 * The pressure sensor's 12-bit ADC grid: pressure takes exactly 950 values,
 * PRESSURE_MIN + k * PRESSURE_STEP for k = 0..949 (docs/ventilator.md).
 */
export const PRESSURE_MIN = -1.895744294564641;
export const PRESSURE_STEP = 0.07030214545121005;
export const PRESSURE_LEVELS = 950;
export const PRESSURE_MAX = PRESSURE_MIN + (PRESSURE_LEVELS - 1) * PRESSURE_STEP;

/** Index 0..949 of the grid level nearest to p (clipped to the grid's range). */
export function pressureLevel(p: number): number {
  const k = Math.round((p - PRESSURE_MIN) / PRESSURE_STEP);
  return k < 0 ? 0 : k >= PRESSURE_LEVELS ? PRESSURE_LEVELS - 1 : k;
}

/** Pressure of grid level k. */
export function levelPressure(k: number): number {
  return PRESSURE_MIN + k * PRESSURE_STEP;
}

/** The nearest grid level's pressure; values outside the range clip to MIN or MAX. */
export function snapToGrid(p: number): number {
  return levelPressure(pressureLevel(p));
}

/** Snaps every value in place and returns the array. */
export function snapAllToGrid<T extends Float32Array | Float64Array>(values: T): T {
  for (let i = 0; i < values.length; i++) values[i] = snapToGrid(values[i]);
  return values;
}

/** Distance from p to its nearest grid level (without clipping): how far off the grid p lies. */
export function distanceToGrid(p: number): number {
  const k = Math.round((p - PRESSURE_MIN) / PRESSURE_STEP);
  return Math.abs(p - levelPressure(k));
}
