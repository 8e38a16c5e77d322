/**
 * The ventilator's inspiratory controller as the data was produced (VENTILATOR.md section 4):
 * a PI law on the measured pressure, an exploration residual on top, and a fixed u_in schedule
 * once the expiratory valve opens.
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

/**
 * An exploration residual added to u during inspiration. It is zero outside [start, end], so
 * rows outside that window follow the PI law exactly.
 */
export interface Residual {
  /** 'triangle': peak `height` in the middle of [start, end]; 'boundary': `height` at t = 0 falling to 0 at `end`. */
  kind: 'none' | 'triangle' | 'boundary';
  height: number;
  /** Window where the residual may be non-zero, seconds since the breath start. */
  start: number;
  end: number;
}

export const NO_RESIDUAL: Residual = { kind: 'none', height: 0, start: 0, end: 0 };

export function residualAt(residual: Residual, t: number): number {
  switch (residual.kind) {
    case 'none':
      return 0;
    case 'boundary':
      return t < residual.end ? residual.height * (1 - t / residual.end) : 0;
    case 'triangle': {
      if (t <= residual.start || t >= residual.end) return 0;
      const half = (residual.end - residual.start) / 2;
      return residual.height * (1 - Math.abs(t - (residual.start + half)) / half);
    }
  }
}

/** u_in while the expiratory valve is open: closed for half a second, then a slow rise towards 5. */
export function expiratoryUIn(t: number): number {
  return t < 1.5 ? 0 : 5 * (1 - Math.exp(-5 * (t - 1.5)));
}
