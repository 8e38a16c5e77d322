/**
 * Plain-loop reference for the fused recurrence API (kernel-api.ts): the readable spec the native
 * kernels are tested against. All arithmetic is float64, inputs may be any numeric array, and
 * backward recomputes the forward pass, so this file's cache is empty. Formulas follow
 * tfjs-layers with sigmoid gates:
 *   LSTM (gates i, f, c, o): z = x K + h R + b; c' = sig(zf) c + sig(zi) tanh(zc); h' = sig(zo) tanh(c').
 *   GRU  (gates z, r, h):    z = sig(x Kz + h Rz + bz); r = sig(x Kr + h Rr + br);
 *                            n = tanh(x Kh + (r h) Rh + bh); h' = z h + (1 - z) n.
 */
import type {
  GruBackwardArgs, GruBackwardResult, GruForwardArgs, GruForwardResult, LstmBackwardArgs,
  LstmBackwardResult, LstmForwardArgs, LstmForwardResult, RecurrenceKernels,
} from './kernel-api.ts';

type Numbers = ArrayLike<number>;

/** The forward arguments with float64 (or any numeric) arrays, for gradient checks. */
export interface Sequence64 {
  batch: number; time: number; inputSize: number; units: number; reverse: boolean;
  x: Numbers; kernel: Numbers; recurrentKernel: Numbers; bias: Numbers;
  h0: Numbers | null; c0?: Numbers | null;
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** Time index of each processed step, in processing order. */
function stepTimes(time: number, reverse: boolean): number[] {
  return Array.from({ length: time }, (_, s) => (reverse ? time - 1 - s : s));
}

function row(a: Numbers | null, b: number, width: number): Float64Array {
  const out = new Float64Array(width);
  if (a) for (let j = 0; j < width; j++) out[j] = a[b * width + j];
  return out;
}

/** x K + h R + bias for one (batch, time) row, over the first `cols` gate columns. */
function preActivation(a: Sequence64, gates: number, b: number, t: number, hPrev: Numbers, cols: number): Float64Array {
  const { time, inputSize: I, units: U } = a;
  const G = gates * U;
  const z = new Float64Array(G);
  for (let j = 0; j < cols; j++) {
    let s = a.bias[j];
    for (let k = 0; k < I; k++) s += a.x[(b * time + t) * I + k] * a.kernel[k * G + j];
    for (let u = 0; u < U; u++) s += hPrev[u] * a.recurrentKernel[u * G + j];
    z[j] = s;
  }
  return z;
}

export interface LstmTrace { h: Float64Array; hLast: Float64Array; cLast: Float64Array; gates: Float64Array; c: Float64Array }

export function lstmForward64(a: Sequence64): LstmTrace {
  const { batch: B, time: T, units: U } = a;
  const h = new Float64Array(B * T * U), c = new Float64Array(B * T * U), gates = new Float64Array(B * T * 4 * U);
  const hLast = new Float64Array(B * U), cLast = new Float64Array(B * U);
  for (let b = 0; b < B; b++) {
    let hPrev = row(a.h0, b, U), cPrev = row(a.c0 ?? null, b, U);
    for (const t of stepTimes(T, a.reverse)) {
      const z = preActivation(a, 4, b, t, hPrev, 4 * U);
      const hNew = new Float64Array(U), cNew = new Float64Array(U);
      for (let u = 0; u < U; u++) {
        const i = sigmoid(z[u]), f = sigmoid(z[U + u]), g = Math.tanh(z[2 * U + u]), o = sigmoid(z[3 * U + u]);
        cNew[u] = f * cPrev[u] + i * g;
        hNew[u] = o * Math.tanh(cNew[u]);
        const base = (b * T + t) * 4 * U;
        gates[base + u] = i; gates[base + U + u] = f; gates[base + 2 * U + u] = g; gates[base + 3 * U + u] = o;
      }
      h.set(hNew, (b * T + t) * U);
      c.set(cNew, (b * T + t) * U);
      hPrev = hNew;
      cPrev = cNew;
    }
    hLast.set(hPrev, b * U);
    cLast.set(cPrev, b * U);
  }
  return { h, hLast, cLast, gates, c };
}

export interface LstmGrads64 { dx: Float64Array; dKernel: Float64Array; dRecurrentKernel: Float64Array; dBias: Float64Array; dh0: Float64Array; dc0: Float64Array }

export function lstmBackward64(a: Sequence64, dh: Numbers, dhLast: Numbers | null, dcLast: Numbers | null): LstmGrads64 {
  const { batch: B, time: T, inputSize: I, units: U } = a;
  const G = 4 * U;
  const f = lstmForward64(a);
  const g: LstmGrads64 = {
    dx: new Float64Array(B * T * I), dKernel: new Float64Array(I * G), dRecurrentKernel: new Float64Array(U * G),
    dBias: new Float64Array(G), dh0: new Float64Array(B * U), dc0: new Float64Array(B * U),
  };
  const times = stepTimes(T, a.reverse);
  for (let b = 0; b < B; b++) {
    let dhNext = row(dhLast, b, U), dcNext = row(dcLast, b, U);
    for (let s = T - 1; s >= 0; s--) {
      const t = times[s], r = b * T + t;
      const hPrev = s > 0 ? f.h.subarray((b * T + times[s - 1]) * U, (b * T + times[s - 1] + 1) * U) : row(a.h0, b, U);
      const cPrev = s > 0 ? f.c.subarray((b * T + times[s - 1]) * U, (b * T + times[s - 1] + 1) * U) : row(a.c0 ?? null, b, U);
      const dz = new Float64Array(G), dcPrev = new Float64Array(U);
      for (let u = 0; u < U; u++) {
        const i = f.gates[r * G + u], fg = f.gates[r * G + U + u], gg = f.gates[r * G + 2 * U + u], o = f.gates[r * G + 3 * U + u];
        const tc = Math.tanh(f.c[r * U + u]);
        const dhT = dh[r * U + u] + dhNext[u];
        const dc = dcNext[u] + dhT * o * (1 - tc * tc);
        dz[u] = dc * gg * i * (1 - i);
        dz[U + u] = dc * cPrev[u] * fg * (1 - fg);
        dz[2 * U + u] = dc * i * (1 - gg * gg);
        dz[3 * U + u] = dhT * tc * o * (1 - o);
        dcPrev[u] = dc * fg;
      }
      dhNext = accumulateStep(a, 4, b, t, hPrev, dz, g);
      dcNext = dcPrev;
    }
    g.dh0.set(dhNext, b * U);
    g.dc0.set(dcNext, b * U);
  }
  return g;
}

/** Adds one step's dGates into dBias, dKernel, dRecurrentKernel and dx; returns dz R^T (d h_prev). */
function accumulateStep(a: Sequence64, gates: number, b: number, t: number, hPrev: Numbers, dz: Float64Array,
  g: { dx: Float64Array; dKernel: Float64Array; dRecurrentKernel: Float64Array; dBias: Float64Array }): Float64Array {
  const { time: T, inputSize: I, units: U } = a;
  const G = gates * U, r = b * T + t;
  const dhPrev = new Float64Array(U);
  for (let j = 0; j < G; j++) {
    g.dBias[j] += dz[j];
    for (let k = 0; k < I; k++) {
      g.dKernel[k * G + j] += a.x[r * I + k] * dz[j];
      g.dx[r * I + k] += dz[j] * a.kernel[k * G + j];
    }
    for (let u = 0; u < U; u++) {
      g.dRecurrentKernel[u * G + j] += hPrev[u] * dz[j];
      dhPrev[u] += dz[j] * a.recurrentKernel[u * G + j];
    }
  }
  return dhPrev;
}

export interface GruTrace { h: Float64Array; hLast: Float64Array; gates: Float64Array }

export function gruForward64(a: Sequence64): GruTrace {
  const { batch: B, time: T, units: U } = a;
  const G = 3 * U;
  const h = new Float64Array(B * T * U), gates = new Float64Array(B * T * G), hLast = new Float64Array(B * U);
  for (let b = 0; b < B; b++) {
    let hPrev = row(a.h0, b, U);
    for (const t of stepTimes(T, a.reverse)) {
      const r = b * T + t;
      const zr = preActivation(a, 3, b, t, hPrev, 2 * U);
      const reset = new Float64Array(U);
      for (let u = 0; u < U; u++) reset[u] = sigmoid(zr[U + u]) * hPrev[u];
      const hNew = new Float64Array(U);
      for (let u = 0; u < U; u++) {
        let n = a.bias[2 * U + u];
        for (let k = 0; k < a.inputSize; k++) n += a.x[r * a.inputSize + k] * a.kernel[k * G + 2 * U + u];
        for (let v = 0; v < U; v++) n += reset[v] * a.recurrentKernel[v * G + 2 * U + u];
        const z = sigmoid(zr[u]), rg = sigmoid(zr[U + u]), nn = Math.tanh(n);
        gates[r * G + u] = z; gates[r * G + U + u] = rg; gates[r * G + 2 * U + u] = nn;
        hNew[u] = z * hPrev[u] + (1 - z) * nn;
      }
      h.set(hNew, r * U);
      hPrev = hNew;
    }
    hLast.set(hPrev, b * U);
  }
  return { h, hLast, gates };
}

export type GruGrads64 = Omit<LstmGrads64, 'dc0'>;

export function gruBackward64(a: Sequence64, dh: Numbers, dhLast: Numbers | null): GruGrads64 {
  const { batch: B, time: T, inputSize: I, units: U } = a;
  const G = 3 * U;
  const f = gruForward64(a);
  const g: GruGrads64 = {
    dx: new Float64Array(B * T * I), dKernel: new Float64Array(I * G), dRecurrentKernel: new Float64Array(U * G),
    dBias: new Float64Array(G), dh0: new Float64Array(B * U),
  };
  const times = stepTimes(T, a.reverse);
  for (let b = 0; b < B; b++) {
    let dhNext = row(dhLast, b, U);
    for (let s = T - 1; s >= 0; s--) {
      const t = times[s], r = b * T + t;
      const hPrev = s > 0 ? f.h.subarray((b * T + times[s - 1]) * U, (b * T + times[s - 1] + 1) * U) : row(a.h0, b, U);
      const dz = new Float64Array(G), dhPrev = new Float64Array(U);
      for (let u = 0; u < U; u++) {
        const z = f.gates[r * G + u], n = f.gates[r * G + 2 * U + u];
        const dhT = dh[r * U + u] + dhNext[u];
        dz[u] = dhT * (hPrev[u] - n) * z * (1 - z);
        dz[2 * U + u] = dhT * (1 - z) * (1 - n * n);
        dhPrev[u] = dhT * z;
      }
      // n's recurrent input is r*h_prev: route dn through Rh, then split into dr and d h_prev.
      for (let v = 0; v < U; v++) {
        let dReset = 0;
        for (let u = 0; u < U; u++) dReset += dz[2 * U + u] * a.recurrentKernel[v * G + 2 * U + u];
        const rg = f.gates[r * G + U + v];
        dz[U + v] = dReset * hPrev[v] * rg * (1 - rg);
        dhPrev[v] += dReset * rg;
        for (let u = 0; u < U; u++) g.dRecurrentKernel[v * G + 2 * U + u] += rg * hPrev[v] * dz[2 * U + u];
      }
      for (let j = 0; j < G; j++) {
        g.dBias[j] += dz[j];
        for (let k = 0; k < I; k++) {
          g.dKernel[k * G + j] += a.x[r * I + k] * dz[j];
          g.dx[r * I + k] += dz[j] * a.kernel[k * G + j];
        }
      }
      for (let j = 0; j < 2 * U; j++) {
        for (let u = 0; u < U; u++) {
          g.dRecurrentKernel[u * G + j] += hPrev[u] * dz[j];
          dhPrev[u] += dz[j] * a.recurrentKernel[u * G + j];
        }
      }
      dhNext = dhPrev;
    }
    g.dh0.set(dhNext, b * U);
  }
  return g;
}

const f32 = (a: Float64Array): Float32Array => Float32Array.from(a);

/** The reference as a RecurrenceKernels implementation (float32 in and out). */
export const referenceKernels: RecurrenceKernels = {
  name: 'js',
  lstmForward(a: LstmForwardArgs): LstmForwardResult {
    const r = lstmForward64(a);
    return { h: f32(r.h), hLast: f32(r.hLast), cLast: f32(r.cLast), cache: new Float32Array(0) };
  },
  lstmBackward(a: LstmBackwardArgs): LstmBackwardResult {
    const g = lstmBackward64(a, a.dh, a.dhLast, a.dcLast);
    return {
      dx: f32(g.dx), dKernel: f32(g.dKernel), dRecurrentKernel: f32(g.dRecurrentKernel), dBias: f32(g.dBias),
      dh0: f32(g.dh0), dc0: f32(g.dc0),
    };
  },
  gruForward(a: GruForwardArgs): GruForwardResult {
    const r = gruForward64(a);
    return { h: f32(r.h), hLast: f32(r.hLast), cache: new Float32Array(0) };
  },
  gruBackward(a: GruBackwardArgs): GruBackwardResult {
    const g = gruBackward64(a, a.dh, a.dhLast);
    return { dx: f32(g.dx), dKernel: f32(g.dKernel), dRecurrentKernel: f32(g.dRecurrentKernel), dBias: f32(g.dBias), dh0: f32(g.dh0) };
  },
};
