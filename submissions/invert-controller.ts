/**
 * Controller inversion: recover inspiratory pressures exactly from u_in where the PI law holds.
 *
 * On row j >= 1 of inspiration the ventilator recorded p_j and then
 *   u_j = clip(kp * e_j + ki * I_j, 0, 100),  e_j = PIP - p_j,  I_j = I_{j-1} + (e_j - I_{j-1}) * a_j,
 *   a_j = dt_j / (dt_j + 0.5),  I_0 = 0,
 * so with A_j = kp + ki * a_j and B_j = ki * (1 - a_j): e_j = (u_j - B_j * I_{j-1}) / A_j, and
 * p_j must be one of the 950 grid levels. Wrong (PIP, kp, ki) guesses or rows where an
 * exploration residual was added give pressures off the grid, which is how they are told apart.
 *
 * Per breath:
 * 1. Search (PIP, kp, ki) from row 1, where I_0 = 0 is known: each of the 400 gain pairs gives one
 *    e_1 and so one p_1 per PIP; only pairs whose p_1 is on the grid are followed further. A
 *    breath is matched when the law holds on `minRun` rows in a row; two matches that disagree
 *    on their run length leave the longest, a tie leaves the breath to the model.
 *    When row 1 is clipped or carries a residual: P-only controllers (ki = 0, where every row
 *    stands alone: p_j = PIP - u_j / kp) are searched on all rows; PI controllers need a start row
 *    s with unknown I. Two lawful unclipped rows give I_s = (u_s - kp * e_s) / ki and so
 *    p_{s+1} = c + beta * p_s (beta = kp (1 - a) / (kp + ki a) < 1): for each (PIP, kp, ki) the
 *    levels of p_s near a guide (the model's prediction) that put p_{s+1} near its guide too are
 *    tried, and a start is accepted when
 *    exactly one (PIP, kp, ki, p_s) carries the law through minRun rows. Without a guide this
 *    step is skipped (all 950 levels for 2,400 controllers is too slow).
 * 2. Solve forward. A clipped u_j or an off-grid p_j (a residual is active) leaves the row
 *    unsolved and, for ki > 0, loses I. To restart at a later row j, note that a lawful unclipped
 *    row gives I_j = (u_j - kp * e_j) / ki: each of the 950 levels for p_j implies one p_{j+1},
 *    and only a level whose next `minRun - 1` rows all land on the grid, alone among the 950, is
 *    taken. (With kp = 0, I_j = u_j / ki needs no guess and p_{j+1} follows directly.)
 * 3. An exploration residual is one window of rows, so a row solved between two rows where the
 *    law broke can only be an accidental grid hit (about 3e-5 per row at tolerance 1e-6): it is
 *    left to the model.
 * Row 0 (u_in there is off the law) and expiratory rows are never solved.
 */
import * as core from '../core/index.ts';
import * as dataset from '../dataset/index.ts';
import type { BreathTable } from '../dataset/index.ts';

// Local copies: imported bindings are read through getters, which dominated the inner loops.
const GAIN_GRID = [...core.GAIN_GRID];
const PIP_VALUES = [...core.PIP_VALUES];
const INTEGRAL_TIME_CONSTANT = core.INTEGRAL_TIME_CONSTANT;
const PRESSURE_LEVELS = core.PRESSURE_LEVELS;
const PRESSURE_MIN = core.PRESSURE_MIN;
const PRESSURE_STEP = core.PRESSURE_STEP;
const ROWS_PER_BREATH = dataset.ROWS_PER_BREATH;

/** Same arithmetic as core's levelPressure, so reconstructed levels are the exact grid doubles. */
function levelPressure(k: number): number {
  return PRESSURE_MIN + k * PRESSURE_STEP;
}

export interface InversionOptions {
  /** Largest distance (cmH2O) from a grid level at which a reconstructed pressure counts as on the grid. Default 1e-6. */
  tolerance?: number;
  /** Rows in a row on which the law must hold to accept a breath's controller or a restart. Default 4. */
  minRun?: number;
  /** Guided search: half-width (cmH2O) of the window around the guide in which a start row's pressure is sought. Default 1.5. */
  guideWindow?: number;
  /** Guided search: start rows tried per breath. Default 12. */
  guideStarts?: number;
}

export const DEFAULT_INVERSION: Required<InversionOptions> = { tolerance: 1e-6, minRun: 4, guideWindow: 1.5, guideStarts: 12 };

export interface InversionResult {
  /** Reconstructed pressure per row of the table; NaN where the row was not solved. */
  pressure: Float64Array;
  /** Per breath: the matched controller, NaN where none was. */
  pip: Float64Array;
  kp: Float64Array;
  ki: Float64Array;
  /** Breaths with a matched controller. */
  matchedBreaths: number;
  /** Rows with u_out == 0. */
  inspiratoryRows: number;
  /** Inspiratory rows solved. */
  solvedRows: number;
  /** solvedRows / inspiratoryRows. */
  coverage: number;
}

interface Controller {
  pip: number;
  kp: number;
  ki: number;
}

/** Per-breath work arrays and settings, reused across breaths. */
class BreathInverter {
  /** Rows 0..n-1 of the breath's leading inspiration. */
  n = 0;
  readonly u = new Float64Array(ROWS_PER_BREATH);
  readonly a = new Float64Array(ROWS_PER_BREATH);
  /** Output of solve(): pressure per row, NaN where unsolved. */
  readonly p = new Float64Array(ROWS_PER_BREATH);
  /** Guide pressure per row (a model's prediction); NaN where there is none. */
  readonly guide = new Float64Array(ROWS_PER_BREATH);
  /** Rows where the law was found broken (off the grid with I known). */
  private readonly broken = new Uint8Array(ROWS_PER_BREATH);
  private readonly tolerance: number;
  private readonly minRun: number;
  private readonly guideLevels: number;
  private readonly guideStarts: number;

  constructor(options: Required<InversionOptions>) {
    this.tolerance = options.tolerance;
    this.minRun = options.minRun;
    this.guideLevels = Math.ceil(options.guideWindow / PRESSURE_STEP);
    this.guideStarts = options.guideStarts;
  }

  load(table: BreathTable, b: number, guide: ArrayLike<number> | undefined): void {
    const base = b * ROWS_PER_BREATH;
    for (let j = 0; j < ROWS_PER_BREATH; j++) this.guide[j] = guide ? guide[base + j] : NaN;
    let n = 0;
    while (n < ROWS_PER_BREATH && table.uOut[base + n] === 0) n++;
    this.n = n;
    for (let j = 0; j < n; j++) {
      this.u[j] = table.uIn[base + j];
      if (j > 0) {
        const dt = table.timeStep[base + j] - table.timeStep[base + j - 1];
        this.a[j] = dt / (dt + INTEGRAL_TIME_CONSTANT);
      }
    }
  }

  /** Grid level within tolerance of pressure p, or -1. */
  level(p: number): number {
    const k = Math.round((p - PRESSURE_MIN) / PRESSURE_STEP);
    if (k < 0 || k >= PRESSURE_LEVELS) return -1;
    return Math.abs(p - levelPressure(k)) <= this.tolerance ? k : -1;
  }

  static clipped(u: number): boolean {
    return u <= 0 || u >= 100;
  }

  /** Rows in a row, from `from`, on which the law holds given I_{from-1} = integral; stops at `limit` rows. */
  private lawfulRun(c: Controller, from: number, integral: number, limit: number): number {
    let I = integral;
    let run = 0;
    for (let j = from; j < this.n && run < limit; j++) {
      const u = this.u[j];
      if (BreathInverter.clipped(u)) break;
      const a = this.a[j];
      const k = this.level(c.pip - (u - c.ki * (1 - a) * I) / (c.kp + c.ki * a));
      if (k < 0) break;
      I += (c.pip - levelPressure(k) - I) * a;
      run++;
    }
    return run;
  }

  /** Step 1: the breath's controller, or null. */
  search(): Controller | null {
    if (this.n < 1 + this.minRun) return null;
    let best: Controller | null = null;
    let bestRun = 0;
    let tie = false;
    const consider = (c: Controller, run: number) => {
      if (run < this.minRun || run < bestRun) return;
      tie = run === bestRun;
      if (!tie) {
        best = c;
        bestRun = run;
      }
    };
    const u1 = this.u[1];
    if (!BreathInverter.clipped(u1)) {
      const a1 = this.a[1];
      for (const kp of GAIN_GRID) {
        for (const ki of GAIN_GRID) {
          const gain = kp + ki * a1;
          if (gain === 0) continue;
          const e1 = u1 / gain;
          for (const pip of PIP_VALUES) {
            if (this.level(pip - e1) < 0) continue;
            const c = { pip, kp, ki };
            consider(c, this.lawfulRun(c, 1, 0, this.n));
          }
        }
      }
    }
    if (best === null) {
      for (const kp of GAIN_GRID) {
        if (kp === 0) continue;
        for (const pip of PIP_VALUES) {
          let count = 0;
          for (let j = 1; j < this.n; j++) {
            const u = this.u[j];
            if (!BreathInverter.clipped(u) && this.level(pip - u / kp) >= 0) count++;
          }
          consider({ pip, kp, ki: 0 }, count);
        }
      }
    }
    if (best === null && !tie) return this.searchGuided();
    return tie ? null : best;
  }

  /** Step 1 for PI breaths whose row 1 is unusable: start rows with unknown I, near the guide. */
  private searchGuided(): Controller | null {
    const tolX = this.tolerance / PRESSURE_STEP;
    let starts = 0;
    for (let s = 1; s + this.minRun <= this.n && starts < this.guideStarts; s++) {
      const g = this.guide[s];
      const gNext = this.guide[s + 1];
      if (Number.isNaN(g) || Number.isNaN(gNext) || !this.unclippedFrom(s, this.minRun)) continue;
      starts++;
      const us = this.u[s];
      const uNext = this.u[s + 1];
      const centre = Math.round((g - PRESSURE_MIN) / PRESSURE_STEP);
      const kLo = Math.max(0, centre - this.guideLevels);
      const kHi = Math.min(PRESSURE_LEVELS - 1, centre + this.guideLevels);
      // Row s + 1 must land near its guide too.
      const centreNext = Math.round((gNext - PRESSURE_MIN) / PRESSURE_STEP);
      const rMin = Math.max(0, centreNext - this.guideLevels);
      const rMax = Math.min(PRESSURE_LEVELS - 1, centreNext + this.guideLevels);
      const a = this.a[s + 1];
      let found: Controller | null = null;
      let count = 0;
      const accept = (pip: number, kp: number, ki: number, k: number) => {
        const c = { pip, kp, ki };
        // I_s from row s's law (with kp = 0 it does not depend on p_s).
        const integral = (us - kp * (pip - levelPressure(k))) / ki;
        if (this.lawfulRun(c, s + 1, integral, this.minRun - 1) < this.minRun - 1) return;
        if (found === null || found.pip !== pip || found.kp !== kp || found.ki !== ki) count++;
        found = c;
      };
      for (let q = 0; q < GAIN_GRID.length; q++) {
        const kp = GAIN_GRID[q];
        for (let w = 1; w < GAIN_GRID.length; w++) {
          const ki = GAIN_GRID[w];
          const gain = kp + ki * a;
          const beta = ((1 - a) * kp) / gain;
          const shift = (us * (1 - a) - uNext) / gain;
          // p_{s+1} = pip (1 - beta) + shift + beta * p_s; in level units x = cx + beta * k_s with
          // cx = base + pip * slope.
          const slope = (1 - beta) / PRESSURE_STEP;
          const base = (shift + beta * PRESSURE_MIN - PRESSURE_MIN) / PRESSURE_STEP;
          const spanLo = beta * kLo - tolX;
          const spanHi = beta * kHi + tolX;
          for (let v = 0; v < PIP_VALUES.length; v++) {
            const pip = PIP_VALUES[v];
            const cx = base + pip * slope;
            if (cx + spanHi < rMin || cx + spanLo > rMax) continue;
            if (beta === 0) {
              // With kp = 0, p_{s+1} does not depend on p_s: one level stands for all.
              const r = Math.round(cx);
              if (Math.abs(cx - r) <= tolX) accept(pip, kp, ki, kLo);
              continue;
            }
            // Walk the integers x can reach (beta < 1: fewer than the levels of p_s), solving for k_s.
            const rLo = Math.max(rMin, Math.ceil(cx + spanLo));
            const rHi = Math.min(rMax, Math.floor(cx + spanHi));
            for (let r = rLo; r <= rHi; r++) {
              const k = Math.round((r - cx) / beta);
              if (k < kLo || k > kHi) continue;
              if (Math.abs(cx + beta * k - r) <= tolX) accept(pip, kp, ki, k);
            }
          }
        }
      }
      if (count === 1) return found;
    }
    return null;
  }

  /** Whether rows from..from+count-1 all have u_in strictly inside (0, 100). */
  private unclippedFrom(from: number, count: number): boolean {
    for (let j = from; j < from + count; j++) if (BreathInverter.clipped(this.u[j])) return false;
    return true;
  }

  /** Level of row j found by the last successful restartIntegral. */
  private restartLevel = -1;

  /**
   * I_j for a restart at row j (pressure of row j unknown), or NaN when no level, or more than
   * one, carries the law through the next minRun - 1 rows.
   */
  private restartIntegral(c: Controller, j: number): number {
    const { pip, kp, ki } = c;
    const u = this.u[j];
    if (BreathInverter.clipped(u) || j + this.minRun > this.n) return NaN;
    const next = j + 1;
    const uNext = this.u[next];
    if (BreathInverter.clipped(uNext)) return NaN;
    const aNext = this.a[next];
    const gainNext = kp + ki * aNext;
    const carry = ki * (1 - aNext);
    let found = NaN;
    for (let k = 0; k < PRESSURE_LEVELS; k++) {
      const e = pip - levelPressure(k);
      const I = (u - kp * e) / ki;
      const kNext = this.level(pip - (uNext - carry * I) / gainNext);
      if (kNext < 0) continue;
      const INext = I + (pip - levelPressure(kNext) - I) * aNext;
      if (this.lawfulRun(c, next + 1, INext, this.minRun - 2) < this.minRun - 2) continue;
      if (!Number.isNaN(found)) return NaN;
      found = I;
      this.restartLevel = k;
    }
    return found;
  }

  /** Step 2: fills this.p for the breath's inspiratory rows; returns the number solved. */
  solve(c: Controller): number {
    const { pip, kp, ki } = c;
    this.p.fill(NaN);
    this.broken.fill(0);
    let I = 0;
    let known = true;
    let solved = 0;
    let j = 1;
    while (j < this.n) {
      if (!known) {
        if (kp === 0) {
          // I_j = u_j / ki when row j is lawful; if it was not, row j + 1 lands off the grid.
          if (!BreathInverter.clipped(this.u[j])) {
            I = this.u[j] / ki;
            known = true;
          }
          j++;
          continue;
        }
        const restart = this.restartIntegral(c, j);
        if (Number.isNaN(restart)) {
          j++;
          continue;
        }
        this.p[j] = levelPressure(this.restartLevel);
        solved++;
        I = restart;
        known = true;
        j++;
        continue;
      }
      const u = this.u[j];
      const a = this.a[j];
      const k = BreathInverter.clipped(u) ? -1 : this.level(pip - (u - ki * (1 - a) * I) / (kp + ki * a));
      if (k < 0) {
        if (!BreathInverter.clipped(u)) this.broken[j] = 1;
        known = ki === 0;
        j++;
        continue;
      }
      const p = levelPressure(k);
      this.p[j] = p;
      solved++;
      I += (pip - p - I) * a;
      j++;
    }
    const first = this.broken.indexOf(1);
    const last = this.broken.lastIndexOf(1);
    for (let r = first + 1; first >= 0 && r < last; r++) {
      if (!Number.isNaN(this.p[r])) {
        this.p[r] = NaN;
        solved--;
      }
    }
    return solved;
  }
}

/**
 * Inverts the controller of every breath of `table` (train or test: pressure is not read).
 * `guide` (one value per row, e.g. the model's predictions) enables the search for breaths whose
 * first row is clipped or carries a residual; solved values never depend on it.
 */
export function invertController(table: BreathTable, options: InversionOptions = {}, guide?: ArrayLike<number>): InversionResult {
  const settings = { ...DEFAULT_INVERSION, ...options };
  if (!(settings.tolerance > 0)) throw new Error(`invertController: tolerance must be > 0, got ${settings.tolerance}`);
  if (!Number.isInteger(settings.minRun) || settings.minRun < 2) throw new Error(`invertController: minRun must be an integer >= 2, got ${settings.minRun}`);
  const rows = table.nBreaths * ROWS_PER_BREATH;
  if (guide && guide.length !== rows) throw new Error(`invertController: guide has ${guide.length} values for ${rows} rows`);
  const pressure = new Float64Array(rows).fill(NaN);
  const pip = new Float64Array(table.nBreaths).fill(NaN);
  const kp = new Float64Array(table.nBreaths).fill(NaN);
  const ki = new Float64Array(table.nBreaths).fill(NaN);
  const inverter = new BreathInverter(settings);
  let matchedBreaths = 0;
  let solvedRows = 0;
  for (let b = 0; b < table.nBreaths; b++) {
    inverter.load(table, b, guide);
    const c = inverter.search();
    if (!c) continue;
    matchedBreaths++;
    pip[b] = c.pip;
    kp[b] = c.kp;
    ki[b] = c.ki;
    solvedRows += inverter.solve(c);
    pressure.set(inverter.p.subarray(0, inverter.n), b * ROWS_PER_BREATH);
  }
  let inspiratoryRows = 0;
  for (let i = 0; i < rows; i++) if (table.uOut[i] === 0) inspiratoryRows++;
  return {
    pressure,
    pip,
    kp,
    ki,
    matchedBreaths,
    inspiratoryRows,
    solvedRows,
    coverage: inspiratoryRows === 0 ? 0 : solvedRows / inspiratoryRows,
  };
}

/** Replaces predictions on solved rows with the reconstructed pressures, in place; returns the count replaced. */
export function applyInversion(pred: Float32Array | Float64Array, inversion: InversionResult): number {
  if (pred.length !== inversion.pressure.length) {
    throw new Error(`applyInversion: ${pred.length} predictions for ${inversion.pressure.length} rows`);
  }
  let replaced = 0;
  for (let i = 0; i < pred.length; i++) {
    const p = inversion.pressure[i];
    if (!Number.isNaN(p)) {
      pred[i] = p;
      replaced++;
    }
  }
  return replaced;
}
