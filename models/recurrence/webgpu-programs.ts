/**
 * WGSL programs of the fused LSTM / GRU on the tfjs webgpu backend (used by webgpu-sequence.ts).
 *
 * Each program runs through the backend's runWebGPUProgram, so its buffers are ordinary tfjs
 * tensors and its dispatches join the backend's command stream (nothing is read back).
 * A step program writes one time step into a buffer that holds the whole sequence and reads the
 * previous step from that same buffer (bound read_write as the program's output), so the state
 * never leaves the GPU and no buffer is copied between steps. One thread owns one
 * (direction, batch row, unit) and, for LSTM, all four gates of that unit.
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

// Sigmoid and tanh that stay finite for any input (WGSL's tanh may overflow to NaN on some drivers).
const ACTIVATIONS = `
fn sigm(v : f32) -> f32 { return 1.0 / (1.0 + exp(-v)); }
fn tanhs(v : f32) -> f32 { let e = exp(-2.0 * abs(v)); return sign(v) * (1.0 - e) / (1.0 + e); }`;

abstract class SequenceProgram implements WebGpuProgram {
  abstract variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  uniforms = 'step : i32,';
  protected readonly d: SequenceDims;

  constructor(name: string, d: SequenceDims, outputShape: number[]) {
    this.d = d;
    this.outputShape = outputShape;
    const threads = d.reverse.length * d.batch * d.units;
    this.dispatch = [Math.ceil(threads / WORKGROUP), 1, 1];
    // Every constant baked into the WGSL is in the key: tfjs caches pipelines by it.
    this.shaderKey = `tidal_${d.cell}_${name}_${d.batch}_${d.time}_${d.units}_${d.reverse.map(Number).join('')}`;
  }

  /** Constants and the thread's (d, b, u), t (this step's time) and the neighbouring times. */
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
fn isReverse(d : i32) -> bool { return ${reverse.map((r, i) => (r ? `d == ${i}` : '')).filter(Boolean).join(' || ') || 'false'}; }
// Input time of processing step s in direction d.
fn timeOf(d : i32, s : i32) -> i32 { if (isReverse(d)) { return T - 1 - s; } return s; }
fn traceAt(b : i32, t : i32, d : i32) -> i32 { return ((b * T + t) * D + d) * W; }
fn gradAt(b : i32, t : i32, d : i32) -> i32 { return ((b * T + t) * D + d) * V; }
fn stateAt(d : i32, b : i32) -> i32 { return (d * B + b) * U; }`;
  }

  /** The body of main(index): u, b, d, s, t defined; returns early past the last thread. */
  protected main(body: string): string {
    return `${this.header()}
fn main(index : i32) {
  if (index >= D * B * U) { return; }
  let u = index % U;
  let b = (index / U) % B;
  let d = index / (U * B);
  let s = uniforms.step;
  let t = timeOf(d, s);
  ${body}
}`;
  }

  abstract getUserCode(): string;
}

/** LSTM forward step: recurrent product, gates and cell update of one step, all rows and directions. */
export class LstmForwardStep extends SequenceProgram {
  variableNames = ['X', 'Bias', 'R', 'H0', 'C0'];
  constructor(d: SequenceDims) {
    super('fwd', d, [d.batch, d.time, d.reverse.length, TRACE_WIDTH.lstm * d.units]);
  }
  getUserCode(): string {
    return this.main(`
  let xo = (b * T + t) * D * G + d * G;
  let bo = d * G;
  var zi = X[xo + u] + Bias[bo + u];
  var zf = X[xo + U + u] + Bias[bo + U + u];
  var zg = X[xo + 2 * U + u] + Bias[bo + 2 * U + u];
  var zo = X[xo + 3 * U + u] + Bias[bo + 3 * U + u];
  var hp = 0.0;
  var cp = 0.0;
  if (s == 0) {
    let so = stateAt(d, b);
    for (var k = 0; k < U; k++) {
      let hk = H0[so + k];
      let r = (d * U + k) * G;
      zi += hk * R[r + u]; zf += hk * R[r + U + u]; zg += hk * R[r + 2 * U + u]; zo += hk * R[r + 3 * U + u];
    }
    hp = H0[so + u];
    cp = C0[so + u];
  } else {
    var tp = t - 1;
    if (isReverse(d)) { tp = t + 1; }
    let po = traceAt(b, tp, d);
    for (var k = 0; k < U; k++) {
      let hk = result[po + k];
      let r = (d * U + k) * G;
      zi += hk * R[r + u]; zf += hk * R[r + U + u]; zg += hk * R[r + 2 * U + u]; zo += hk * R[r + 3 * U + u];
    }
    hp = result[po + u];
    cp = result[po + U + u];
  }
  let i = sigm(zi);
  let f = sigm(zf);
  let g = tanhs(zg);
  let o = sigm(zo);
  let c = f * cp + i * g;
  let o0 = traceAt(b, t, d);
  result[o0 + u] = o * tanhs(c);
  result[o0 + U + u] = c;
  result[o0 + 2 * U + u] = i;
  result[o0 + 3 * U + u] = f;
  result[o0 + 4 * U + u] = g;
  result[o0 + 5 * U + u] = o;
  result[o0 + 6 * U + u] = hp;
  result[o0 + 7 * U + u] = cp;`);
  }
}

/** LSTM backward step: dh from the later step's gate gradients (through R^T), then this step's. */
export class LstmBackwardStep extends SequenceProgram {
  variableNames = ['Trace', 'DY', 'RT'];
  constructor(d: SequenceDims) {
    super('bwd', d, [d.batch, d.time, d.reverse.length, GRAD_WIDTH.lstm * d.units]);
  }
  getUserCode(): string {
    return this.main(`
  let to = traceAt(b, t, d);
  var dh = DY[((b * T + t) * D + d) * U + u];
  var dc = 0.0;
  if (s < T - 1) {
    var tn = t + 1;
    if (isReverse(d)) { tn = t - 1; }
    let no = gradAt(b, tn, d);
    for (var j = 0; j < G; j++) { dh += result[no + j] * RT[(d * G + j) * U + u]; }
    dc = result[no + G + u] * Trace[traceAt(b, tn, d) + 3 * U + u];
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
  result[go + G + u] = dc;`);
  }
}

/** LSTM gradients of the initial states, [2, D, B, U] (dh0 then dc0), from the first processed step. */
export class LstmStateGrad extends SequenceProgram {
  variableNames = ['Trace', 'Grad', 'RT'];
  constructor(d: SequenceDims) {
    super('dstate', d, [2, d.reverse.length, d.batch, d.units]);
  }
  getUserCode(): string {
    return this.main(`
  let go = gradAt(b, t, d);
  var dh = 0.0;
  for (var j = 0; j < G; j++) { dh += Grad[go + j] * RT[(d * G + j) * U + u]; }
  result[stateAt(d, b) + u] = dh;
  result[D * B * U + stateAt(d, b) + u] = Grad[go + G + u] * Trace[traceAt(b, t, d) + 3 * U + u];`);
  }
}

/** GRU forward, first half of a step: update and reset gates, r * h_prev. */
export class GruForwardGates extends SequenceProgram {
  variableNames = ['X', 'Bias', 'R', 'H0'];
  constructor(d: SequenceDims) {
    super('fwdA', d, [d.batch, d.time, d.reverse.length, TRACE_WIDTH.gru * d.units]);
  }
  getUserCode(): string {
    return this.main(`
  let xo = (b * T + t) * D * G + d * G;
  let bo = d * G;
  var zz = X[xo + u] + Bias[bo + u];
  var zr = X[xo + U + u] + Bias[bo + U + u];
  var hp = 0.0;
  if (s == 0) {
    let so = stateAt(d, b);
    for (var k = 0; k < U; k++) {
      let hk = H0[so + k];
      let r = (d * U + k) * G;
      zz += hk * R[r + u]; zr += hk * R[r + U + u];
    }
    hp = H0[so + u];
  } else {
    var tp = t - 1;
    if (isReverse(d)) { tp = t + 1; }
    let po = traceAt(b, tp, d);
    for (var k = 0; k < U; k++) {
      let hk = result[po + k];
      let r = (d * U + k) * G;
      zz += hk * R[r + u]; zr += hk * R[r + U + u];
    }
    hp = result[po + u];
  }
  let rg = sigm(zr);
  let o0 = traceAt(b, t, d);
  result[o0 + U + u] = sigm(zz);
  result[o0 + 2 * U + u] = rg;
  result[o0 + 4 * U + u] = hp;
  result[o0 + 5 * U + u] = rg * hp;`);
  }
}

/** GRU forward, second half: candidate from (r * h_prev) Rh and the new state. */
export class GruForwardState extends SequenceProgram {
  variableNames = ['X', 'Bias', 'R'];
  constructor(d: SequenceDims) {
    super('fwdB', d, [d.batch, d.time, d.reverse.length, TRACE_WIDTH.gru * d.units]);
  }
  getUserCode(): string {
    return this.main(`
  let o0 = traceAt(b, t, d);
  var zh = X[(b * T + t) * D * G + d * G + 2 * U + u] + Bias[d * G + 2 * U + u];
  for (var k = 0; k < U; k++) { zh += result[o0 + 5 * U + k] * R[(d * U + k) * G + 2 * U + u]; }
  let hh = tanhs(zh);
  let z = result[o0 + U + u];
  result[o0 + 3 * U + u] = hh;
  result[o0 + u] = z * result[o0 + 4 * U + u] + (1.0 - z) * hh;`);
  }
}

// d h_prev that step `at` passes back: dh z + d(rh) r + dz_{z,r} [Rz Rr]^T.
const GRU_CARRY = `
fn gruCarry(b : i32, at : i32, d : i32, u : i32) -> f32 {
  let go = gradAt(b, at, d);
  let to = traceAt(b, at, d);
  var v = GRADIN[go + 3 * U + u] * Trace[to + U + u] + GRADIN[go + 4 * U + u] * Trace[to + 2 * U + u];
  for (var j = 0; j < 2 * U; j++) { v += GRADIN[go + j] * RT[(d * G + j) * U + u]; }
  return v;
}`;

/** GRU backward, first half of a step: dh, and the update-gate and candidate gradients. */
export class GruBackwardGates extends SequenceProgram {
  variableNames = ['Trace', 'DY', 'RT'];
  constructor(d: SequenceDims) {
    super('bwdA', d, [d.batch, d.time, d.reverse.length, GRAD_WIDTH.gru * d.units]);
  }
  getUserCode(): string {
    return this.main(`
  var dh = DY[((b * T + t) * D + d) * U + u];
  if (s < T - 1) {
    var tn = t + 1;
    if (isReverse(d)) { tn = t - 1; }
    dh += gruCarry(b, tn, d, u);
  }
  let to = traceAt(b, t, d);
  let z = Trace[to + U + u];
  let hh = Trace[to + 3 * U + u];
  let hp = Trace[to + 4 * U + u];
  let go = gradAt(b, t, d);
  result[go + u] = dh * (hp - hh) * z * (1.0 - z);
  result[go + 2 * U + u] = dh * (1.0 - z) * (1.0 - hh * hh);
  result[go + 3 * U + u] = dh;`).replace('fn main', `${GRU_CARRY.replaceAll('GRADIN', 'result')}\nfn main`);
  }
}

/** GRU backward, second half: d(r * h_prev) through Rh^T, then the reset-gate gradient. */
export class GruBackwardReset extends SequenceProgram {
  variableNames = ['Trace', 'RT'];
  constructor(d: SequenceDims) {
    super('bwdB', d, [d.batch, d.time, d.reverse.length, GRAD_WIDTH.gru * d.units]);
  }
  getUserCode(): string {
    return this.main(`
  let go = gradAt(b, t, d);
  var drh = 0.0;
  for (var k = 0; k < U; k++) { drh += result[go + 2 * U + k] * RT[(d * G + 2 * U + k) * U + u]; }
  let to = traceAt(b, t, d);
  let r = Trace[to + 2 * U + u];
  result[go + U + u] = drh * Trace[to + 4 * U + u] * r * (1.0 - r);
  result[go + 4 * U + u] = drh;`);
  }
}

/** GRU gradient of the initial state, [D, B, U], from the first processed step. */
export class GruStateGrad extends SequenceProgram {
  variableNames = ['Trace', 'Grad', 'RT'];
  constructor(d: SequenceDims) {
    super('dstate', d, [d.reverse.length, d.batch, d.units]);
  }
  getUserCode(): string {
    return this.main(`
  result[stateAt(d, b) + u] = gruCarry(b, t, d, u);`).replace('fn main', `${GRU_CARRY.replaceAll('GRADIN', 'Grad')}\nfn main`);
  }
}

/** The tfjs webgpu backend methods used here. */
export interface WebGpuBackendLike {
  runWebGPUProgram(program: WebGpuProgram, inputs: tf.TensorInfo[], outputDtype: 'float32',
    programDefinedUniform?: { type: 'int32'; data: number[] }[], output?: tf.TensorInfo): tf.TensorInfo;
  makeTensorInfo(shape: number[], dtype: 'float32'): tf.TensorInfo;
}
