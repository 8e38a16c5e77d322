/**
 * The breath table: the columnar form every stage reads.
 *
 * Breaths are contiguous and rows of a breath are in time order, whatever the order of rows in
 * the source file. Row r of breath b is at index b * ROWS_PER_BREATH + r in every per-row column.
 * Time, u_in and pressure stay float64: the controller inversion checks pressures against the
 * grid to 1e-6, which float32 cannot hold.
 */
export const ROWS_PER_BREATH = 80;

export const R_VALUES = [5, 20, 50] as const;
export const C_VALUES = [10, 20, 50] as const;

export interface BreathTable {
  /** Number of breaths; every per-row column has nBreaths * ROWS_PER_BREATH entries. */
  nBreaths: number;
  /** breath_id of each breath, in table order. */
  breathId: Int32Array;
  /** Airway resistance of each breath, cmH2O/L/s (5, 20 or 50). */
  R: Uint8Array;
  /** Lung compliance of each breath, mL/cmH2O (10, 20 or 50). */
  C: Uint8Array;
  /** Row id from the source file, per row. */
  id: Int32Array;
  /** Seconds since the start of the breath, per row. */
  timeStep: Float64Array;
  /** Inspiratory valve opening 0..100, per row. */
  uIn: Float64Array;
  /** Expiratory valve: 0 inspiration (scored), 1 expiration, per row. */
  uOut: Uint8Array;
  /** Airway pressure, per row; null for test data. */
  pressure: Float64Array | null;
}

export function rowCount(table: BreathTable): number {
  return table.nBreaths * ROWS_PER_BREATH;
}

/** An empty table with room for nBreaths breaths (pressure column only when withPressure). */
export function allocateBreathTable(nBreaths: number, withPressure: boolean): BreathTable {
  const rows = nBreaths * ROWS_PER_BREATH;
  return {
    nBreaths,
    breathId: new Int32Array(nBreaths),
    R: new Uint8Array(nBreaths),
    C: new Uint8Array(nBreaths),
    id: new Int32Array(rows),
    timeStep: new Float64Array(rows),
    uIn: new Float64Array(rows),
    uOut: new Uint8Array(rows),
    pressure: withPressure ? new Float64Array(rows) : null,
  };
}

/** Index of the (R, C) pair of a breath in 0..8, R-major: the order used for R_C one-hots and reports. */
export function rcPairIndex(r: number, c: number): number {
  return R_VALUES.indexOf(r as 5) * 3 + C_VALUES.indexOf(c as 10);
}

export function rcPairName(index: number): string {
  return `${R_VALUES[Math.floor(index / 3)]}_${C_VALUES[index % 3]}`;
}
