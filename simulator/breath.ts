/**
 * One simulated breath: its hidden settings (drawn), its time steps (drawn) and its rows (a
 * deterministic function of both). Row j records the quantised pressure p_j first, then u_j
 * computed from it; the lung's response to u_j shows from p_{j+1} on, through the valve delay.
 */
import { ROWS_PER_BREATH, R_VALUES, C_VALUES } from '../dataset/breath-table.ts';
import { snapToGrid } from '../core/pressure-grid.ts';
import { GAIN_GRID, PIP_VALUES, INSPIRATION_SECONDS, clipValve, nextIntegral, piOutput } from '../core/controller-law.ts';
import { NO_RESIDUAL, expiratoryUIn, residualAt, type Residual } from './residual.ts';
import { DEFAULT_LUNG, advanceLung, airwayPressure, valveFlow, type LungModel, type LungState } from './lung.ts';

/** Everything hidden that decides a breath's rows besides its time steps. */
export interface BreathSettings {
  R: number;
  C: number;
  /** Target pressure, cmH2O. */
  pip: number;
  kp: number;
  ki: number;
  /** The controller has no integral term (ki = 0): u = clip(kp * (PIP - p), 0, 100). */
  pOnly: boolean;
  residual: Residual;
  /** u_in of row 0, which does not follow the law. */
  firstUIn: number;
  /** Pressure the lung starts the breath at, cmH2O (what the previous expiration left). */
  startPressure: number;
  /** Per-breath factor on the valve's flow: no two valves (or warm-ups) are alike. */
  valveGain: number;
}

/** Share of breaths per R (5, 20, 50) and per C (10, 20, 50). */
const R_SHARES = [0.31, 0.28, 0.41];
const C_SHARES = [0.33, 0.3, 0.37];
const P_ONLY_SHARE = 0.1;
const NO_RESIDUAL_SHARE = 0.1;
const TRIANGLE_SHARE = 0.85;

function pick<T>(values: readonly T[], rng: () => number): T {
  return values[Math.floor(rng() * values.length)];
}

function pickShare<T>(values: readonly T[], shares: readonly number[], rng: () => number): T {
  let x = rng();
  for (let i = 0; i < values.length - 1; i++) {
    x -= shares[i];
    if (x < 0) return values[i];
  }
  return values[values.length - 1];
}

function uniform(rng: () => number, lo: number, hi: number): number {
  return lo + (hi - lo) * rng();
}

function drawResidual(rng: () => number): Residual {
  if (rng() < NO_RESIDUAL_SHARE) return NO_RESIDUAL;
  if (rng() < TRIANGLE_SHARE) {
    const height = uniform(rng, -30, 30);
    const duration = uniform(rng, 0.1, 0.5);
    const start = uniform(rng, 0, INSPIRATION_SECONDS - duration);
    return { kind: 'triangle', height, start, end: start + duration };
  }
  return { kind: 'boundary', height: uniform(rng, 0, 100), start: 0, end: uniform(rng, 0.05, 0.3) };
}

export function drawBreathSettings(rng: () => number, lung: LungModel = DEFAULT_LUNG): BreathSettings {
  const R = pickShare(R_VALUES, R_SHARES, rng);
  const C = pickShare(C_VALUES, C_SHARES, rng);
  const pip = pick(PIP_VALUES, rng);
  const pOnly = rng() < P_ONLY_SHARE;
  let kp: number;
  let ki: number;
  // A controller with no active gain never opens the valve: redraw (a P-only one needs kp > 0).
  do {
    kp = pick(GAIN_GRID, rng);
    ki = pOnly ? 0 : pick(GAIN_GRID, rng);
  } while (kp === 0 && ki === 0);
  const residual = drawResidual(rng);
  return {
    R,
    C,
    pip,
    kp,
    ki,
    pOnly,
    residual,
    firstUIn: uniform(rng, 0, 1) * clipValve(kp * (pip - lung.peep)),
    startPressure: lung.peep + uniform(rng, -0.3, 0.6),
    valveGain: uniform(rng, 0.9, 1.1),
  };
}

/**
 * Irregular sampling like the real logger: a per-breath base step near 0.0334 s, jitter on
 * every step and now and then a late sample (totals 2.6 to about 2.95 s).
 */
export function drawTimeSteps(rng: () => number, out: Float64Array, offset = 0): void {
  const base = uniform(rng, 0.033, 0.0339);
  const lateChance = rng() < 0.1 ? 0.08 : 0.002;
  let t = 0;
  out[offset] = 0;
  for (let j = 1; j < ROWS_PER_BREATH; j++) {
    let dt = base + uniform(rng, -0.0004, 0.0004);
    if (rng() < lateChance) dt += uniform(rng, 0.003, 0.03);
    t += dt;
    out[offset + j] = t;
  }
}

/** Output columns a breath is written into, at rows offset .. offset + 79. */
export interface BreathColumns {
  uIn: Float64Array;
  uOut: Uint8Array;
  pressure: Float64Array;
}

/** Fills one breath's u_in, u_out and pressure from its settings and time steps (no randomness). */
export function runBreath(
  settings: BreathSettings,
  timeStep: Float64Array,
  out: BreathColumns,
  offset = 0,
  lung: LungModel = DEFAULT_LUNG,
): void {
  const state: LungState = { r: settings.R, c: settings.C, volume: settings.startPressure * settings.C };
  const delay = lung.valveDelaySteps;
  const { kp, ki, pip, residual } = settings;
  let opening = 0;
  let inflow = 0;
  let integral = 0;
  let exhaustOpen = false;
  for (let j = 0; j < ROWS_PER_BREATH; j++) {
    const row = offset + j;
    const t = timeStep[row];
    // 1. Measure: the controller only ever sees the quantised pressure.
    const p = snapToGrid(airwayPressure(lung, state, inflow, exhaustOpen));
    out.pressure[row] = p;
    // 2. Command the valves.
    const expiring = t >= INSPIRATION_SECONDS;
    let u: number;
    if (expiring) {
      u = expiratoryUIn(t);
    } else {
      const error = pip - p;
      if (j === 0) {
        u = settings.firstUIn;
      } else {
        integral = nextIntegral(integral, error, t - timeStep[row - 1]);
        u = piOutput(kp, ki, error, integral);
      }
      u = clipValve(u + residualAt(residual, t));
    }
    out.uIn[row] = u;
    out.uOut[row] = expiring ? 1 : 0;
    exhaustOpen = expiring;
    if (j === ROWS_PER_BREATH - 1) break;
    // 3. The lung responds until the next sample; the valve follows the command `delay` rows late.
    const dt = timeStep[row + 1] - t;
    const command = j - delay >= 0 ? out.uIn[row - delay] : 0;
    opening += (command - opening) * (1 - Math.exp(-dt / lung.valveTimeConstant));
    inflow = valveFlow(lung, opening, settings.valveGain);
    advanceLung(lung, state, inflow, exhaustOpen, dt);
  }
}

/** One breath's rows in fresh arrays (for tests and tools that work breath by breath). */
export function simulateBreath(settings: BreathSettings, timeStep: Float64Array, lung: LungModel = DEFAULT_LUNG): BreathColumns {
  if (timeStep.length !== ROWS_PER_BREATH) {
    throw new Error(`simulateBreath: expected ${ROWS_PER_BREATH} time steps, got ${timeStep.length}`);
  }
  const out: BreathColumns = {
    uIn: new Float64Array(ROWS_PER_BREATH),
    uOut: new Uint8Array(ROWS_PER_BREATH),
    pressure: new Float64Array(ROWS_PER_BREATH),
  };
  runBreath(settings, timeStep, out, 0, lung);
  return out;
}
