/**
 * What a ventilator can produce: every breath file's time_step, u_in and pressure must lie in
 * these closed ranges, checked cell by cell as the CSV is read. A value outside is a corrupt or
 * mis-scaled file; refused at ingest it cannot turn into an infinite feature or a training loss
 * that never becomes finite. Documented in the README ("On the real Kaggle files").
 */
import { PRESSURE_MAX, PRESSURE_MIN } from '../core/index.ts';

export interface ValueRange {
  min: number;
  max: number;
  /** What the value is and why the bounds: shown in the error. */
  meaning: string;
}

/** Kaggle breaths last about 3 s; 10 s leaves room for slower re-recorded breaths. */
export const TIME_STEP_RANGE: ValueRange = { min: 0, max: 10, meaning: 'seconds since the breath started' };

export const U_IN_RANGE: ValueRange = { min: 0, max: 100, meaning: 'the inspiratory valve opening, in percent' };

/** The sensor grid's range plus a margin (nothing snaps outside it anyway). */
export const PRESSURE_RANGE: ValueRange = {
  min: -5,
  max: 70,
  meaning: `cmH2O; the sensor grid spans ${PRESSURE_MIN.toFixed(2)} to ${PRESSURE_MAX.toFixed(2)}`,
};
