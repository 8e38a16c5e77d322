/**
 * The ventilator's inspiratory PI law, as the competition data was produced (docs/ventilator.md,
 * "The controller"). The simulator runs it forward; the controller inversion runs it backwards.
 */

/** Time constant of the controller's integral term, seconds. */
export const INTEGRAL_TIME_CONSTANT = 0.5;

/** The 20 values kp and ki are drawn from: 0, 0.1, ..., 0.9, 1, 2, ..., 10. */
export const GAIN_GRID: readonly number[] = [
  ...Array.from({ length: 10 }, (_, i) => i / 10),
  ...Array.from({ length: 10 }, (_, i) => i + 1),
];

/** Target inspiratory pressures, cmH2O. */
export const PIP_VALUES: readonly number[] = [10, 15, 20, 25, 30, 35];

/** The expiratory valve opens at the first row with time_step >= this, seconds. */
export const INSPIRATION_SECONDS = 1.0;

export function clipValve(u: number): number {
  return u < 0 ? 0 : u > 100 ? 100 : u;
}

/** I_j from I_{j-1}, the error e_j and the measured step dt_j. */
export function nextIntegral(previous: number, error: number, dt: number): number {
  return previous + ((error - previous) * dt) / (dt + INTEGRAL_TIME_CONSTANT);
}

/** u_j = clip(kp * e_j + ki * I_j, 0, 100). */
export function piOutput(kp: number, ki: number, error: number, integral: number): number {
  return clipValve(kp * error + ki * integral);
}
