/**
 * WGSL programs of the fused LSTM / GRU on the tfjs webgpu backend (used by webgpu-sequence.ts).
 *
 * Each program runs through the backend's runWebGPUProgram, so its buffers are ordinary tfjs
 * tensors and its dispatches join the backend's command stream (nothing is read back).
 * A step program writes one time step into a buffer that holds the whole sequence and reads the
 * previous step from that same buffer (bound read_write as the program's output), so the state
 * never leaves the GPU and no buffer is copied between steps. In the plain step programs one
 * thread owns one (direction, unit) for ROWS_PER_THREAD batch rows and, for LSTM, all four gates
 * of that unit; their tiled twins (TiledStepProgram, for wide layers) compute the same outputs
 * from workgroup-memory tiles.
 *
 * Layouts (row-major, D directions, B batch rows, T steps, U units, G = gates * U):
 *   X     [B*T, D*G]   input projection x K of every step, both directions (one matMul)
 *   Bias  [D*G]
 *   R     [D, U, G]    recurrent kernels;  RT [D, G, U] its transpose (coalesced in backward)
 *   H0/C0 [D, B, U]    initial states
 *   trace [B, T, D, W] forward results in input time order:
 *                      LSTM W = 8U: h, c, i, f, g, o, h_prev, c_prev
 *                      GRU  W = 6U: h, z, r, hh, h_prev, r*h_prev
 *   DY    [B, T, D, U] gradient w.r.t. h
 *   grad  [B, T, D, V] backward results, input time order:
 *                      LSTM V = 5U: dz (i, f, g, o pre-activations), dc
 *                      GRU  V = 5U: dz (z, r, hh pre-activations), dh, d(r*h_prev)
 * Direction d walks t = 0..T-1, or T-1..0 when it is reversed; `step` is the processing step.
 */
import type * as tf from '@tensorflow/tfjs';

/** The parts of tfjs-backend-webgpu's WebGPUProgram used here (the package is optional). */
export interface WebGpuProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  uniforms?: string;
  getUserCode(): string;
}

export interface SequenceDims {
  cell: 'lstm' | 'gru';
  batch: number;
  time: number;
  units: number;
  /** Per direction: walks the sequence backwards. */
  reverse: boolean[];
}

export const TRACE_WIDTH = { lstm: 8, gru: 6 } as const;
export const GRAD_WIDTH = { lstm: 5, gru: 5 } as const;
export const GATES = { lstm: 4, gru: 3 } as const;

const WORKGROUP = 64;
/**
 * Batch rows a thread of a step program computes: each recurrent weight it loads serves that many
 * rows (the weights dominate memory traffic at kaggle sizes; the hidden states are shared by the
 * whole workgroup). Rows past the batch are read clamped and never written.
 */
export const ROWS_PER_THREAD = 4;

// Sigmoid and tanh that stay finite for any input (WGSL's tanh may overflow to NaN on some drivers).
const ACTIVATIONS = `
fn sigm(v : f32) -> f32 { return 1.0 / (1.0 + exp(-v)); }
fn tanhs(v : f32) -> f32 { let e = exp(-2.0 * abs(v)); return sign(v) * (1.0 - e) / (1.0 + e); }`;

const ROWS = Array.from({ length: ROWS_PER_THREAD }, (_, r) => r);
/** `line` once a row of the thread's block, with {r} replaced by the row number (unrolled). */
const perRow = (line: string): string => ROWS.map((r) => line.replaceAll('{r}', String(r))).join('\n  ');

const LSTM_CELL = `
// Gates i, f, g, o of unit u from the recurrent product z, then the cell update.
fn lstmCell(b : i32, d : i32, u : i32, s : i32, t : i32, zr : vec4<f32>) {
  let xo = (b * T + t) * D * G + d * G;
  let bo = d * G;
  let z = zr + vec4<f32>(X[xo + u] + Bias[bo + u], X[xo + U + u] + Bias[bo + U + u],
    X[xo + 2 * U + u] + Bias[bo + 2 * U + u], X[xo + 3 * U + u] + Bias[bo + 3 * U + u]);
  var hp = 0.0;
  var cp = 0.0;
  if (s == 0) {
    hp = H0[stateAt(d, b) + u];
    cp = C0[stateAt(d, b) + u];
  } else {
    let po = traceAt(b, timeBefore(d, t), d);
    hp = result[po + u];
    cp = result[po + U + u];
  }
  let i = sigm(z.x);
  let f = sigm(z.y);
  let g = tanhs(z.z);
  let o = sigm(z.w);
  let c = f * cp + i * g;
  let o0 = traceAt(b, t, d);
  result[o0 + u] = o * tanhs(c);
  result[o0 + U + u] = c;
  result[o0 + 2 * U + u] = i;
  result[o0 + 3 * U + u] = f;
  result[o0 + 4 * U + u] = g;
  result[o0 + 5 * U + u] = o;
  result[o0 + 6 * U + u] = hp;
  result[o0 + 7 * U + u] = cp;
}`;

const LSTM_CELL_GRAD = `
// dhRec: the recurrent part of dh (the later step's dz R^T); then dc and this step's dz.
fn lstmCellGrad(b : i32, d : i32, u : i32, s : i32, t : i32, dhRec : f32) {
  let to = traceAt(b, t, d);
  let dh = DY[((b * T + t) * D + d) * U + u] + dhRec;
  var dc = 0.0;
  if (s < T - 1) {
    let tn = timeAfter(d, t);
    dc = result[gradAt(b, tn, d) + G + u] * Trace[traceAt(b, tn, d) + 3 * U + u];
  }
  let c = Trace[to + U + u];
  let i = Trace[to + 2 * U + u];
  let f = Trace[to + 3 * U + u];
  let g = Trace[to + 4 * U + u];
  let o = Trace[to + 5 * U + u];
  let cp = Trace[to + 7 * U + u];
  let tc = tanhs(c);
  dc += dh * o * (1.0 - tc * tc);
  let go = gradAt(b, t, d);
  result[go + u] = dc * g * i * (1.0 - i);
  result[go + U + u] = dc * cp * f * (1.0 - f);
  result[go + 2 * U + u] = dc * i * (1.0 - g * g);
  result[go + 3 * U + u] = dh * tc * o * (1.0 - o);
  result[go + G + u] = dc;
}`;

const GRU_GATES = `
fn gruGates(b : i32, d : i32, u : i32, s : i32, t : i32, zr : vec2<f32>) {
  let xo = (b * T + t) * D * G + d * G;
  let z = zr + vec2<f32>(X[xo + u] + Bias[d * G + u], X[xo + U + u] + Bias[d * G + U + u]);
  var hp = 0.0;
  if (s == 0) { hp = H0[stateAt(d, b) + u]; } else { hp = result[traceAt(b, timeBefore(d, t), d) + u]; }
  let rg = sigm(z.y);
  let o0 = traceAt(b, t, d);
  result[o0 + U + u] = sigm(z.x);
  result[o0 + 2 * U + u] = rg;
  result[o0 + 4 * U + u] = hp;
  result[o0 + 5 * U + u] = rg * hp;
}`;

const GRU_STATE = `
fn gruState(b : i32, d : i32, u : i32, t : i32, zr : f32) {
  let o0 = traceAt(b, t, d);
  let hh = tanhs(zr + X[(b * T + t) * D * G + d * G + 2 * U + u] + Bias[d * G + 2 * U + u]);
  let z = result[o0 + U + u];
  result[o0 + 3 * U + u] = hh;
  result[o0 + u] = z * result[o0 + 4 * U + u] + (1.0 - z) * hh;
}`;

const GRU_GATES_GRAD = `
// dzr: the later step's dz_{z,r} [Rz Rr]^T; with its dh z and d(rh) r it is d h_prev of that step.
fn gruGatesGrad(b : i32, d : i32, u : i32, s : i32, t : i32, dzr : f32) {
  var dh = DY[((b * T + t) * D + d) * U + u];
  if (s < T - 1) {
    let tn = timeAfter(d, t);
    let gn = gradAt(b, tn, d);
    let tno = traceAt(b, tn, d);
    dh += dzr + result[gn + 3 * U + u] * Trace[tno + U + u] + result[gn + 4 * U + u] * Trace[tno + 2 * U + u];
  }
  let to = traceAt(b, t, d);
  let z = Trace[to + U + u];
  let hh = Trace[to + 3 * U + u];
  let hp = Trace[to + 4 * U + u];
  let go = gradAt(b, t, d);
  result[go + u] = dh * (hp - hh) * z * (1.0 - z);
  result[go + 2 * U + u] = dh * (1.0 - z) * (1.0 - hh * hh);
  result[go + 3 * U + u] = dh;
}`;

const GRU_RESET_GRAD = `
fn gruResetGrad(b : i32, d : i32, u : i32, t : i32, drh : f32) {
  let go = gradAt(b, t, d);
  let to = traceAt(b, t, d);
  let r = Trace[to + 2 * U + u];
  result[go + U + u] = drh * Trace[to + 4 * U + u] * r * (1.0 - r);
  result[go + 4 * U + u] = drh;
}`;

abstract class SequenceProgram implements WebGpuProgram {
  abstract variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  uniforms = 'step : i32,';
  protected readonly d: SequenceDims;
  private readonly rowsPerThread: number;

  constructor(name: string, d: SequenceDims, outputShape: number[], rowsPerThread: number) {
    this.d = d;
    this.outputShape = outputShape;
    this.rowsPerThread = rowsPerThread;
    const threads = d.reverse.length * Math.ceil(d.batch / rowsPerThread) * d.units;
    this.dispatch = [Math.ceil(threads / WORKGROUP), 1, 1];
    // Every constant baked into the WGSL is in the key: tfjs caches pipelines by it.
    this.shaderKey = `tidal_${d.cell}_${name}_${d.batch}_${d.time}_${d.units}_${d.reverse.map(Number).join('')}_${rowsPerThread}`;
  }

  /** Constants and index helpers shared by every program. */
  protected header(): string {
    const { batch: B, time: T, units: U, reverse, cell } = this.d;
    const D = reverse.length;
    return `${ACTIVATIONS}
const B = ${B};
const T = ${T};
const U = ${U};
const D = ${D};
const G = ${GATES[cell] * U};
const W = ${TRACE_WIDTH[cell] * U};
const V = ${GRAD_WIDTH[cell] * U};
const RB = ${this.rowsPerThread};
const NB = ${Math.ceil(B / this.rowsPerThread)};
fn isReverse(d : i32) -> bool { return ${reverse.map((r, i) => (r ? `d == ${i}` : '')).filter(Boolean).join(' || ') || 'false'}; }
// Input time of processing step s in direction d.
fn timeOf(d : i32, s : i32) -> i32 { if (isReverse(d)) { return T - 1 - s; } return s; }
// The time processed just before / after t.
fn timeBefore(d : i32, t : i32) -> i32 { if (isReverse(d)) { return t + 1; } return t - 1; }
fn timeAfter(d : i32, t : i32) -> i32 { if (isReverse(d)) { return t - 1; } return t + 1; }
fn traceAt(b : i32, t : i32, d : i32) -> i32 { return ((b * T + t) * D + d) * W; }
fn gradAt(b : i32, t : i32, d : i32) -> i32 { return ((b * T + t) * D + d) * V; }
fn stateAt(d : i32, b : i32) -> i32 { return (d * B + b) * U; }`;
  }

  /**
   * WGSL functions, then main(index) with u, d, s, t and, for each row r of the thread's block,
   * b{r} (clamped into the batch) and live{r} (whether the row exists) defined before \`body\`.
   */
  protected main(functions: string, body: string): string {
    const rows = Array.from({ length: this.rowsPerThread }, (_, r) => r);
    return `${this.header()}
${functions}
fn main(index : i32) {
  if (index >= D * NB * U) { return; }
  let u = index % U;
  let blk = (index / U) % NB;
  let d = index / (U * NB);
  let s = uniforms.step;
  let t = timeOf(d, s);
  ${rows.map((r) => `let b${r} = min(blk * RB + ${r}, B - 1);\n  let live${r} = blk * RB + ${r} < B;`).join('\n  ')}
  ${body}
}`;
  }

  abstract getUserCode(): string;
}

/** LSTM forward step: recurrent product, gates and cell update of one step, all rows and directions. */
export class LstmForwardStep extends SequenceProgram {
  variableNames = ['X', 'Bias', 'R', 'H0', 'C0'];
  constructor(d: SequenceDims) {
    super('fwd', d, [d.batch, d.time, d.reverse.length, TRACE_WIDTH.lstm * d.units], ROWS_PER_THREAD);
  }
  getUserCode(): string {
    return this.main(LSTM_CELL, `
  ${perRow('var z{r} = vec4<f32>(0.0);')}
  if (s == 0) {
    for (var k = 0; k < U; k++) {
      let ro = (d * U + k) * G + u;
      let w = vec4<f32>(R[ro], R[ro + U], R[ro + 2 * U], R[ro + 3 * U]);
      ${perRow('z{r} += H0[stateAt(d, b{r}) + k] * w;')}
    }
  } else {
    let tp = timeBefore(d, t);
    for (var k = 0; k < U; k++) {
      let ro = (d * U + k) * G + u;
      let w = vec4<f32>(R[ro], R[ro + U], R[ro + 2 * U], R[ro + 3 * U]);
      ${perRow('z{r} += result[traceAt(b{r}, tp, d) + k] * w;')}
    }
  }
  ${perRow('if (live{r}) { lstmCell(b{r}, d, u, s, t, z{r}); }')}`);
  }
}

/** LSTM backward step: dh from the later step's gate gradients (through R^T), then this step's. */
export class LstmBackwardStep extends SequenceProgram {
  variableNames = ['Trace', 'DY', 'RT'];
  constructor(d: SequenceDims) {
    super('bwd', d, [d.batch, d.time, d.reverse.length, GRAD_WIDTH.lstm * d.units], ROWS_PER_THREAD);
  }
  getUserCode(): string {
    return this.main(LSTM_CELL_GRAD, `
  ${perRow('var dh{r} = 0.0;')}
  if (s < T - 1) {
    let tn = timeAfter(d, t);
    for (var j = 0; j < G; j++) {
      let w = RT[(d * G + j) * U + u];
      ${perRow('dh{r} += result[gradAt(b{r}, tn, d) + j] * w;')}
    }
  }
  ${perRow('if (live{r}) { lstmCellGrad(b{r}, d, u, s, t, dh{r}); }')}`);
  }
}

/**
 * The tile of the tiled step programs: a workgroup computes `rows` batch rows x `cols` columns of
 * a step's recurrent product, staging `k`-deep chunks of both operands in workgroup memory, so
 * each recurrent weight fetched from memory serves `rows` batch rows (ROWS_PER_THREAD in the plain
 * programs) and each hidden state `cols` columns. A thread keeps `threadRows` x `threadCols`
 * sums in registers: its rows are contiguous, its columns COL_THREADS apart.
 */
const TILE = { rows: 64, cols: 64, k: 16, threadRows: 8, threadCols: 4 } as const;
const COL_THREADS = TILE.cols / TILE.threadCols;
/** Invocations of a tiled step's workgroup. */
export const TILED_THREADS = (TILE.rows / TILE.threadRows) * COL_THREADS;
/** Workgroup memory (floats) of the rows' chunk: one float of padding a k against bank conflicts. */
const LEFT_CHUNK = (TILE.rows + 1) * TILE.k;
/**
 * Workgroup memory of a tiled step: the rows' chunk and the weights' chunk, later reused for half
 * the tile's sums at a time on their way to the epilogue.
 */
export const TILED_WORKGROUP_BYTES = Math.max(LEFT_CHUNK + TILE.k * TILE.cols, (TILE.rows / 2) * TILE.cols) * 4;

/** Unrolled `line` for each (row r, column c) of a thread's block, or each row / column alone. */
const perBlock = (line: string): string => Array.from({ length: TILE.threadRows }, (_, r) =>
  Array.from({ length: TILE.threadCols }, (_, c) => line.replaceAll('{r}', String(r)).replaceAll('{c}', String(c)))).flat().join('\n    ');
const perTileRow = (line: string): string => Array.from({ length: TILE.threadRows }, (_, r) => line.replaceAll('{r}', String(r))).join('\n    ');
const perTileCol = (line: string): string => Array.from({ length: TILE.threadCols }, (_, c) => line.replaceAll('{c}', String(c))).join('\n    ');

/** The operands and the epilogue of a tiled step (WGSL). */
interface TiledProduct {
  /** Depth of the product (the k loop). */
  depth: string;
  /** Element (row b, k) of the left operand; b and k are in range. */
  left: string;
  /** Whether tile column `col` exists, and element (k, col) of the right operand when it does. */
  colLive: string;
  right: string;
  /**
   * After the product, `epilogue` runs once for each item e < `items` of each half (0, 1) of the
   * tile's rows; the sums of the half's row hr, tile column col are at tileMem[hr * TC + col].
   */
  items: string;
  epilogue: string;
}

/**
 * The epilogue of a tile whose columns are units (one sum each): `call` once for each (row b,
 * unit u) of the half in range, with the sum at tileMem[e].
 */
function perUnitEpilogue(call: string): Pick<TiledProduct, 'items' | 'epilogue'> {
  return {
    items: 'HR * TC',
    epilogue: `let b = row0 + half * HR + e / TC;
      let u = u0 + e % TC;
      if (b < B && u < U) { ${call} }`,
  };
}

/**
 * A step program whose recurrent product is tiled through workgroup memory (see TILE): one
 * workgroup a (direction, TILE.rows batch rows, `unitsPerTile` units). Loads past the batch, the
 * units or the depth read zero and nothing past them is written, so any size works.
 */
abstract class TiledStepProgram extends SequenceProgram {
  private readonly unitsPerTile: number;
  constructor(name: string, d: SequenceDims, outputShape: number[], unitsPerTile: number) {
    super(`${name}_tiled${TILE.rows}x${TILE.cols}k${TILE.k}`, d, outputShape, TILE.threadRows);
    this.unitsPerTile = unitsPerTile;
    this.workgroupSize = [TILED_THREADS, 1, 1];
    this.dispatch = [d.reverse.length * Math.ceil(d.batch / TILE.rows) * Math.ceil(d.units / unitsPerTile), 1, 1];
  }

  protected tiledMain(functions: string, p: TiledProduct): string {
    const { batch: B, units: U } = this.d;
    // Barriers sit only in loops whose bounds are constants: uniform control flow.
    return `${this.header()}
${functions}
const TR = ${TILE.rows};
const TC = ${TILE.cols};
const TK = ${TILE.k};
const NT = ${TILED_THREADS};
const CT = ${COL_THREADS};
const UT = ${this.unitsPerTile};
const NUT = ${Math.ceil(U / this.unitsPerTile)};
const NRT = ${Math.ceil(B / TILE.rows)};
const KD = ${p.depth};
const HR = TR / 2;
const RIGHT = ${LEFT_CHUNK};
var<workgroup> tileMem : array<f32, ${TILED_WORKGROUP_BYTES / 4}>;
fn main(index : i32) {
  let lid = i32(localIndex);
  let grp = i32(workgroupId.x);
  let u0 = (grp % NUT) * UT;
  let row0 = ((grp / NUT) % NRT) * TR;
  let d = grp / (NUT * NRT);
  let s = uniforms.step;
  let t = timeOf(d, s);
  let tc = lid % CT;
  let tr = lid / CT;
  ${perBlock('var acc{r}_{c} = 0.0;')}
  for (var k0 = 0; k0 < KD; k0 += TK) {
    for (var e = lid; e < TR * TK; e += NT) {
      let b = row0 + e / TK;
      let k = k0 + e % TK;
      var v = 0.0;
      if (b < B && k < KD) { v = ${p.left}; }
      tileMem[(e % TK) * (TR + 1) + e / TK] = v;
    }
    for (var e = lid; e < TK * TC; e += NT) {
      let col = e % TC;
      let k = k0 + e / TC;
      var v = 0.0;
      if (k < KD && ${p.colLive}) { v = ${p.right}; }
      tileMem[RIGHT + e] = v;
    }
    workgroupBarrier();
    for (var kk = 0; kk < TK; kk++) {
      ${perTileRow('let a{r} = tileMem[kk * (TR + 1) + tr * ' + TILE.threadRows + ' + {r}];')}
      ${perTileCol('let w{c} = tileMem[RIGHT + kk * TC + tc + CT * {c}];')}
      ${perBlock('acc{r}_{c} += a{r} * w{c};')}
    }
    workgroupBarrier();
  }
  // The sums go through workgroup memory, half the tile's rows at a time, so the epilogue (the
  // cell update) has one call site rather than one a sum: a much smaller shader.
  for (var half = 0; half < 2; half++) {
    if (tr * ${TILE.threadRows} / HR == half) {
      let hr0 = tr * ${TILE.threadRows} - half * HR;
      ${perBlock('tileMem[(hr0 + {r}) * TC + tc + CT * {c}] = acc{r}_{c};')}
    }
    workgroupBarrier();
    for (var e = lid; e < ${p.items}; e += NT) {
      ${p.epilogue}
    }
    workgroupBarrier();
  }
}`;
  }
}

// Left operands of the tiled steps: the previous step's h (both cells' traces start with h), and
// the later step's dz (zero after the last step).
const H_PREV = `
fn hPrev(b : i32, d : i32, s : i32, t : i32, k : i32) -> f32 {
  if (s == 0) { return H0[stateAt(d, b) + k]; }
  return result[traceAt(b, timeBefore(d, t), d) + k];
}`;
const DZ_NEXT = `
fn dzNext(b : i32, d : i32, s : i32, t : i32, j : i32) -> f32 {
  if (s == T - 1) { return 0.0; }
  return result[gradAt(b, timeAfter(d, t), d) + j];
}`;

/**
 * LSTM forward step, tiled (TiledStepProgram): a tile's columns are the 4 gates of 16 units, so a
 * thread holds 8 rows x the 4 gates of one unit, and the cell update follows as in LstmForwardStep.
 * Same inputs, trace and outputs as LstmForwardStep.
 */
export class LstmForwardStepTiled extends TiledStepProgram {
  variableNames = ['X', 'Bias', 'R', 'H0', 'C0'];
  constructor(d: SequenceDims) {
    super('fwd', d, [d.batch, d.time, d.reverse.length, TRACE_WIDTH.lstm * d.units], COL_THREADS);
  }
  getUserCode(): string {
    return this.tiledMain(`${LSTM_CELL}${H_PREV}`, {
      depth: 'U',
      left: 'hPrev(b, d, s, t, k)',
      // Tile column col is gate col / UT of unit u0 + col % UT.
      colLive: 'u0 + col % UT < U',
      right: 'R[(d * U + k) * G + (col / UT) * U + u0 + col % UT]',
      // An item: one (row, unit), its 4 gates UT columns apart.
      items: 'HR * UT',
      epilogue: `let b = row0 + half * HR + e / UT;
      let u = u0 + e % UT;
      let o = (e / UT) * TC + e % UT;
      if (b < B && u < U) { lstmCell(b, d, u, s, t, vec4<f32>(tileMem[o], tileMem[o + UT], tileMem[o + 2 * UT], tileMem[o + 3 * UT])); }`,
    });
  }
}

/**
 * LSTM backward step, tiled (TiledStepProgram): dh = dz_next R^T over a tile of 64 rows x 64
 * units (a thread: 8 rows x 4 units), then the step's gate gradients as in LstmBackwardStep.
 * Same inputs and outputs as LstmBackwardStep.
 */
export class LstmBackwardStepTiled extends TiledStepProgram {
  variableNames = ['Trace', 'DY', 'RT'];
  constructor(d: SequenceDims) {
    super('bwd', d, [d.batch, d.time, d.reverse.length, GRAD_WIDTH.lstm * d.units], TILE.cols);
  }
  getUserCode(): string {
    return this.tiledMain(`${LSTM_CELL_GRAD}${DZ_NEXT}`, {
      depth: 'G',
      left: 'dzNext(b, d, s, t, k)',
      colLive: 'u0 + col < U',
      right: 'RT[(d * G + k) * U + u0 + col]',
      ...perUnitEpilogue('lstmCellGrad(b, d, u, s, t, tileMem[e]);'),
    });
  }
}

/** GRU forward gates, tiled: a tile's columns are the update and reset gates of 32 units. Same as GruForwardGates. */
export class GruForwardGatesTiled extends TiledStepProgram {
  variableNames = ['X', 'Bias', 'R', 'H0'];
  constructor(d: SequenceDims) {
    super('fwdA', d, [d.batch, d.time, d.reverse.length, TRACE_WIDTH.gru * d.units], TILE.cols / 2);
  }
  getUserCode(): string {
    return this.tiledMain(`${GRU_GATES}${H_PREV}`, {
      depth: 'U',
      left: 'hPrev(b, d, s, t, k)',
      colLive: 'u0 + col % UT < U',
      right: 'R[(d * U + k) * G + (col / UT) * U + u0 + col % UT]',
      items: 'HR * UT',
      epilogue: `let b = row0 + half * HR + e / UT;
      let u = u0 + e % UT;
      let o = (e / UT) * TC + e % UT;
      if (b < B && u < U) { gruGates(b, d, u, s, t, vec2<f32>(tileMem[o], tileMem[o + UT])); }`,
    });
  }
}

/** GRU forward state, tiled: (r * h_prev) Rh over 64 units a tile, then the new state. Same as GruForwardState. */
export class GruForwardStateTiled extends TiledStepProgram {
  variableNames = ['X', 'Bias', 'R'];
  constructor(d: SequenceDims) {
    super('fwdB', d, [d.batch, d.time, d.reverse.length, TRACE_WIDTH.gru * d.units], TILE.cols);
  }
  getUserCode(): string {
    return this.tiledMain(GRU_STATE, {
      depth: 'U',
      left: 'result[traceAt(b, t, d) + 5 * U + k]',
      colLive: 'u0 + col < U',
      right: 'R[(d * U + k) * G + 2 * U + u0 + col]',
      ...perUnitEpilogue('gruState(b, d, u, t, tileMem[e]);'),
    });
  }
}

/** GRU backward gates, tiled: the later step's dz_{z,r} [Rz Rr]^T over 64 units a tile. Same as GruBackwardGates. */
export class GruBackwardGatesTiled extends TiledStepProgram {
  variableNames = ['Trace', 'DY', 'RT'];
  constructor(d: SequenceDims) {
    super('bwdA', d, [d.batch, d.time, d.reverse.length, GRAD_WIDTH.gru * d.units], TILE.cols);
  }
  getUserCode(): string {
    return this.tiledMain(`${GRU_GATES_GRAD}${DZ_NEXT}`, {
      depth: '2 * U',
      left: 'dzNext(b, d, s, t, k)',
      colLive: 'u0 + col < U',
      right: 'RT[(d * G + k) * U + u0 + col]',
      ...perUnitEpilogue('gruGatesGrad(b, d, u, s, t, tileMem[e]);'),
    });
  }
}

/** GRU backward reset, tiled: d(r * h_prev) = dz_hh Rh^T over 64 units a tile. Same as GruBackwardReset. */
export class GruBackwardResetTiled extends TiledStepProgram {
  variableNames = ['Trace', 'RT'];
  constructor(d: SequenceDims) {
    super('bwdB', d, [d.batch, d.time, d.reverse.length, GRAD_WIDTH.gru * d.units], TILE.cols);
  }
  getUserCode(): string {
    return this.tiledMain(GRU_RESET_GRAD, {
      depth: 'U',
      left: 'result[gradAt(b, t, d) + 2 * U + k]',
      colLive: 'u0 + col < U',
      right: 'RT[(d * G + 2 * U + k) * U + u0 + col]',
      ...perUnitEpilogue('gruResetGrad(b, d, u, t, tileMem[e]);'),
    });
  }
}

/** LSTM gradients of the initial states, [2, D, B, U] (dh0 then dc0), from the first processed step. */
export class LstmStateGrad extends SequenceProgram {
  variableNames = ['Trace', 'Grad', 'RT'];
  constructor(d: SequenceDims) {
    super('dstate', d, [2, d.reverse.length, d.batch, d.units], 1);
  }
  getUserCode(): string {
    return this.main('', `
  let go = gradAt(b0, t, d);
  var dh = 0.0;
  for (var j = 0; j < G; j++) { dh += Grad[go + j] * RT[(d * G + j) * U + u]; }
  result[stateAt(d, b0) + u] = dh;
  result[D * B * U + stateAt(d, b0) + u] = Grad[go + G + u] * Trace[traceAt(b0, t, d) + 3 * U + u];`);
  }
}

/** GRU forward, first half of a step: update and reset gates, r * h_prev. */
export class GruForwardGates extends SequenceProgram {
  variableNames = ['X', 'Bias', 'R', 'H0'];
  constructor(d: SequenceDims) {
    super('fwdA', d, [d.batch, d.time, d.reverse.length, TRACE_WIDTH.gru * d.units], ROWS_PER_THREAD);
  }
  getUserCode(): string {
    return this.main(GRU_GATES, `
  ${perRow('var z{r} = vec2<f32>(0.0);')}
  if (s == 0) {
    for (var k = 0; k < U; k++) {
      let ro = (d * U + k) * G + u;
      let w = vec2<f32>(R[ro], R[ro + U]);
      ${perRow('z{r} += H0[stateAt(d, b{r}) + k] * w;')}
    }
  } else {
    let tp = timeBefore(d, t);
    for (var k = 0; k < U; k++) {
      let ro = (d * U + k) * G + u;
      let w = vec2<f32>(R[ro], R[ro + U]);
      ${perRow('z{r} += result[traceAt(b{r}, tp, d) + k] * w;')}
    }
  }
  ${perRow('if (live{r}) { gruGates(b{r}, d, u, s, t, z{r}); }')}`);
  }
}

/** GRU forward, second half: candidate from (r * h_prev) Rh and the new state. */
export class GruForwardState extends SequenceProgram {
  variableNames = ['X', 'Bias', 'R'];
  constructor(d: SequenceDims) {
    super('fwdB', d, [d.batch, d.time, d.reverse.length, TRACE_WIDTH.gru * d.units], ROWS_PER_THREAD);
  }
  getUserCode(): string {
    return this.main(GRU_STATE, `
  ${perRow('var z{r} = 0.0;')}
  for (var k = 0; k < U; k++) {
    let w = R[(d * U + k) * G + 2 * U + u];
    ${perRow('z{r} += result[traceAt(b{r}, t, d) + 5 * U + k] * w;')}
  }
  ${perRow('if (live{r}) { gruState(b{r}, d, u, t, z{r}); }')}`);
  }
}

/** GRU backward, first half of a step: dh, and the update-gate and candidate gradients. */
export class GruBackwardGates extends SequenceProgram {
  variableNames = ['Trace', 'DY', 'RT'];
  constructor(d: SequenceDims) {
    super('bwdA', d, [d.batch, d.time, d.reverse.length, GRAD_WIDTH.gru * d.units], ROWS_PER_THREAD);
  }
  getUserCode(): string {
    return this.main(GRU_GATES_GRAD, `
  ${perRow('var dzr{r} = 0.0;')}
  if (s < T - 1) {
    let tn = timeAfter(d, t);
    for (var j = 0; j < 2 * U; j++) {
      let w = RT[(d * G + j) * U + u];
      ${perRow('dzr{r} += result[gradAt(b{r}, tn, d) + j] * w;')}
    }
  }
  ${perRow('if (live{r}) { gruGatesGrad(b{r}, d, u, s, t, dzr{r}); }')}`);
  }
}

/** GRU backward, second half: d(r * h_prev) through Rh^T, then the reset-gate gradient. */
export class GruBackwardReset extends SequenceProgram {
  variableNames = ['Trace', 'RT'];
  constructor(d: SequenceDims) {
    super('bwdB', d, [d.batch, d.time, d.reverse.length, GRAD_WIDTH.gru * d.units], ROWS_PER_THREAD);
  }
  getUserCode(): string {
    return this.main(GRU_RESET_GRAD, `
  ${perRow('var drh{r} = 0.0;')}
  for (var k = 0; k < U; k++) {
    let w = RT[(d * G + 2 * U + k) * U + u];
    ${perRow('drh{r} += result[gradAt(b{r}, t, d) + 2 * U + k] * w;')}
  }
  ${perRow('if (live{r}) { gruResetGrad(b{r}, d, u, t, drh{r}); }')}`);
  }
}

/** GRU gradient of the initial state, [D, B, U], from the first processed step. */
export class GruStateGrad extends SequenceProgram {
  variableNames = ['Trace', 'Grad', 'RT'];
  constructor(d: SequenceDims) {
    super('dstate', d, [d.reverse.length, d.batch, d.units], 1);
  }
  getUserCode(): string {
    return this.main('', `
  let go = gradAt(b0, t, d);
  let to = traceAt(b0, t, d);
  var dh = Grad[go + 3 * U + u] * Trace[to + U + u] + Grad[go + 4 * U + u] * Trace[to + 2 * U + u];
  for (var j = 0; j < 2 * U; j++) { dh += Grad[go + j] * RT[(d * G + j) * U + u]; }
  result[stateAt(d, b0) + u] = dh;`);
  }
}

/** The tfjs webgpu backend methods used here. */
export interface WebGpuBackendLike {
  runWebGPUProgram(program: WebGpuProgram, inputs: tf.TensorInfo[], outputDtype: 'float32',
    programDefinedUniform?: { type: 'int32' | 'float32'; data: number[] }[], output?: tf.TensorInfo): tf.TensorInfo;
  makeTensorInfo(shape: number[], dtype: 'float32'): tf.TensorInfo;
  device: { limits: { maxStorageBufferBindingSize: number; maxComputeWorkgroupStorageSize: number; maxComputeInvocationsPerWorkgroup: number } };
}
