import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../core/index.ts';
import { simulateDataset } from '../../simulator/index.ts';
import { loadNativeKernels, nativeKernelsStatus } from '../../models/recurrence/native.ts';
import { addonStatus, loadAddon } from '../../models/native/index.ts';
import {
  gruBackward64, gruForward64, lstmBackward64, lstmForward64, referenceKernels, type Sequence64,
} from '../../models/recurrence/reference-js.ts';

interface Case { batch: number; time: number; inputSize: number; units: number; reverse: boolean; state: boolean; last: boolean }

// Sizes straddle the SIMD widths (8 lanes, 6 x 16 GEMM tiles, 24-row blocks) and their multiples.
const CASES: Case[] = [
  { batch: 1, time: 1, inputSize: 1, units: 1, reverse: false, state: false, last: false },
  { batch: 3, time: 5, inputSize: 4, units: 7, reverse: false, state: true, last: true },
  { batch: 7, time: 4, inputSize: 13, units: 16, reverse: true, state: true, last: false },
  { batch: 30, time: 6, inputSize: 5, units: 9, reverse: true, state: false, last: true },
  { batch: 25, time: 3, inputSize: 17, units: 24, reverse: false, state: false, last: false },
  { batch: 49, time: 2, inputSize: 12, units: 33, reverse: true, state: true, last: true },
];

const uniform = (rng: () => number, n: number, scale: number): Float32Array =>
  Float32Array.from({ length: n }, () => (rng() * 2 - 1) * scale);

function sequenceArgs(c: Case, gates: number, seed: string) {
  const rng = createRng(11, seed);
  const G = gates * c.units;
  return {
    batch: c.batch, time: c.time, inputSize: c.inputSize, units: c.units, reverse: c.reverse,
    x: uniform(rng, c.batch * c.time * c.inputSize, 1.5),
    kernel: uniform(rng, c.inputSize * G, 0.6),
    recurrentKernel: uniform(rng, c.units * G, 0.6),
    bias: uniform(rng, G, 0.3),
    h0: c.state ? uniform(rng, c.batch * c.units, 0.8) : null,
    c0: c.state ? uniform(rng, c.batch * c.units, 0.8) : null,
    dh: uniform(rng, c.batch * c.time * c.units, 1),
    dhLast: c.last ? uniform(rng, c.batch * c.units, 1) : null,
    dcLast: c.last ? uniform(rng, c.batch * c.units, 1) : null,
  };
}

/** Max |actual - expected| must stay within 1e-5 of the expected array's scale (at least 1). */
function assertClose(actual: Float32Array, expected: Float32Array, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  let scale = 1, worst = 0, at = -1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= worst)) { worst = d; at = i; }
  }
  assert.ok(worst <= 1e-5 * scale, `${label}: max error ${worst} at ${at} (scale ${scale})`);
}

const caseName = (c: Case): string =>
  `b${c.batch} t${c.time} i${c.inputSize} u${c.units}${c.reverse ? ' reverse' : ''}${c.state ? ' h0/c0' : ''}${c.last ? ' dLast' : ''}`;

const native = loadNativeKernels();
const skip = native ? false : `native kernels not available: ${nativeKernelsStatus().detail}`;

describe('native recurrence kernels match the JS reference', { skip }, () => {
  for (const c of CASES) {
    test(`LSTM ${caseName(c)}`, () => {
      const a = sequenceArgs(c, 4, `lstm ${caseName(c)}`);
      const nf = native!.lstmForward(a), rf = referenceKernels.lstmForward(a);
      assertClose(nf.h, rf.h, 'h');
      assertClose(nf.hLast, rf.hLast, 'hLast');
      assertClose(nf.cLast, rf.cLast, 'cLast');
      const nb = native!.lstmBackward({ ...a, cache: nf.cache, h: nf.h });
      const rb = referenceKernels.lstmBackward({ ...a, cache: rf.cache, h: rf.h });
      for (const k of ['dx', 'dKernel', 'dRecurrentKernel', 'dBias', 'dh0', 'dc0'] as const) assertClose(nb[k], rb[k], k);
    });
    test(`GRU ${caseName(c)}`, () => {
      const a = sequenceArgs(c, 3, `gru ${caseName(c)}`);
      const nf = native!.gruForward(a), rf = referenceKernels.gruForward(a);
      assertClose(nf.h, rf.h, 'h');
      assertClose(nf.hLast, rf.hLast, 'hLast');
      const nb = native!.gruBackward({ ...a, cache: nf.cache, h: nf.h });
      const rb = referenceKernels.gruBackward({ ...a, cache: rf.cache, h: rf.h });
      for (const k of ['dx', 'dKernel', 'dRecurrentKernel', 'dBias', 'dh0'] as const) assertClose(nb[k], rb[k], k);
    });
  }

  test('LSTM on simulated breaths (80 steps, 4 features per row)', () => {
    const { train } = simulateDataset({ breaths: 20, testBreaths: 0, seed: 3 });
    const B = train.nBreaths, T = 80, I = 4, U = 32;
    const x = new Float32Array(B * T * I);
    for (let row = 0; row < B * T; row++) {
      const b = Math.floor(row / T);
      x.set([train.uIn[row] / 50, train.uOut[row], train.R[b] / 50, train.C[b] / 50], row * I);
    }
    const c = { batch: B, time: T, inputSize: I, units: U, reverse: true, state: false, last: false };
    const a = { ...sequenceArgs(c, 4, 'breaths'), x };
    const nf = native!.lstmForward(a), rf = referenceKernels.lstmForward(a);
    assertClose(nf.h, rf.h, 'h');
    const nb = native!.lstmBackward({ ...a, cache: nf.cache, h: nf.h });
    const rb = referenceKernels.lstmBackward({ ...a, cache: rf.cache, h: rf.h });
    for (const k of ['dx', 'dKernel', 'dRecurrentKernel', 'dBias'] as const) assertClose(nb[k], rb[k], k);
  });

  test('repeated calls give identical bytes (no uninitialised scratch reaches the outputs)', () => {
    const a = sequenceArgs(CASES[5], 4, 'repeat');
    const f1 = native!.lstmForward(a), f2 = native!.lstmForward(a);
    assert.deepEqual(f2, f1);
    const b1 = native!.lstmBackward({ ...a, cache: f1.cache, h: f1.h });
    const b2 = native!.lstmBackward({ ...a, cache: f1.cache, h: f1.h });
    assert.deepEqual(b2, b1);
    const g = sequenceArgs(CASES[5], 3, 'repeat');
    const g1 = native!.gruForward(g);
    assert.deepEqual(native!.gruForward(g), g1);
    assert.deepEqual(native!.gruBackward({ ...g, cache: g1.cache, h: g1.h }), native!.gruBackward({ ...g, cache: g1.cache, h: g1.h }));
  });

  test("accumulateDx adds x's gradient into out.dx, one float32 add an element, at any gate width", () => {
    // 4 * 70 and 3 * 90 gate columns pass the GEMM's 256-deep k-blocks: an in-place accumulating
    // product would fold out.dx into its first block's sum and round differently.
    for (const [c, cell] of [[CASES[3], 'lstm'], [CASES[3], 'gru'], [{ ...CASES[1], units: 70 }, 'lstm'], [{ ...CASES[1], units: 90 }, 'gru']] as const) {
      const a = sequenceArgs(c, cell === 'lstm' ? 4 : 3, `accumulate ${cell}`);
      const f = cell === 'lstm' ? native!.lstmForward(a) : native!.gruForward(a);
      const backward = (extra: object) => (cell === 'lstm' ? native!.lstmBackward : native!.gruBackward)({ ...a, cache: f.cache, h: f.h, ...extra });
      const plain = backward({}).dx;
      const earlier = uniform(createRng(12, cell), plain.length, 40);
      const dx = Float32Array.from(earlier);
      const accumulated = backward({ accumulateDx: true, out: { dx } });
      assert.equal(accumulated.dx, dx, 'the result is the array given');
      assert.deepEqual(dx, earlier.map((v, i) => Math.fround(v + plain[i])), `${cell} units ${c.units}`);
    }
  });

  test('TIDAL_NO_NATIVE=1 turns the kernels off', () => {
    const code = "import('./models/recurrence/native.ts').then((m) => console.log(JSON.stringify([m.loadNativeKernels(), m.nativeKernelsStatus()])))";
    const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { env: { ...process.env, TIDAL_NO_NATIVE: '1' }, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), [null, { loaded: false, detail: 'disabled by TIDAL_NO_NATIVE=1' }]);
  });

  test('bad input names the argument and the expected shape', () => {
    const a = sequenceArgs(CASES[1], 4, 'bad');
    assert.throws(() => native!.lstmForward({ ...a, kernel: new Float32Array(3) }),
      /lstmForward: 'kernel' must be a Float32Array of 112 elements \[inputSize, gates\*units\]/);
    assert.throws(() => native!.gruForward({ ...a, x: Array.from(a.x) as unknown as Float32Array }), /gruForward: 'x' must be a Float32Array/);
    assert.throws(() => native!.lstmForward({ ...a, batch: 0 }), /lstmForward: 'batch' must be a positive integer/);
  });
});

/** Central differences of a float64 loss w.r.t. every entry of `param`, compared with `grad`. */
function checkGradient(loss: () => number, param: Float64Array, grad: Float64Array, label: string): void {
  const eps = 1e-6;
  for (let i = 0; i < param.length; i++) {
    const keep = param[i];
    param[i] = keep + eps;
    const up = loss();
    param[i] = keep - eps;
    const down = loss();
    param[i] = keep;
    const numeric = (up - down) / (2 * eps);
    assert.ok(Math.abs(numeric - grad[i]) <= 1e-6 * Math.max(1, Math.abs(numeric)), `${label}[${i}]: analytic ${grad[i]} vs numeric ${numeric}`);
  }
}

function tinySequence(gates: number, reverse: boolean): { a: Sequence64 & { c0: Float64Array }; w: Float64Array[] } {
  const rng = createRng(5, 'finite-difference', gates, String(reverse));
  const B = 2, T = 3, I = 3, U = 2, G = gates * U;
  const r = (n: number): Float64Array => Float64Array.from({ length: n }, () => rng() * 2 - 1);
  return {
    a: { batch: B, time: T, inputSize: I, units: U, reverse, x: r(B * T * I), kernel: r(I * G), recurrentKernel: r(U * G), bias: r(G), h0: r(B * U), c0: r(B * U) },
    w: [r(B * T * U), r(B * U), r(B * U)],
  };
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

describe('JS reference gradients match finite differences', () => {
  for (const reverse of [false, true]) {
    test(`LSTM${reverse ? ' reverse' : ''}`, () => {
      const { a, w: [wh, wl, wc] } = tinySequence(4, reverse);
      const loss = (): number => { const f = lstmForward64(a); return dot(f.h, wh) + dot(f.hLast, wl) + dot(f.cLast, wc); };
      const g = lstmBackward64(a, wh, wl, wc);
      checkGradient(loss, a.x as Float64Array, g.dx, 'dx');
      checkGradient(loss, a.kernel as Float64Array, g.dKernel, 'dKernel');
      checkGradient(loss, a.recurrentKernel as Float64Array, g.dRecurrentKernel, 'dRecurrentKernel');
      checkGradient(loss, a.bias as Float64Array, g.dBias, 'dBias');
      checkGradient(loss, a.h0 as Float64Array, g.dh0, 'dh0');
      checkGradient(loss, a.c0, g.dc0, 'dc0');
    });
    test(`GRU${reverse ? ' reverse' : ''}`, () => {
      const { a, w: [wh, wl] } = tinySequence(3, reverse);
      const loss = (): number => { const f = gruForward64(a); return dot(f.h, wh) + dot(f.hLast, wl); };
      const g = gruBackward64(a, wh, wl);
      checkGradient(loss, a.x as Float64Array, g.dx, 'dx');
      checkGradient(loss, a.kernel as Float64Array, g.dKernel, 'dKernel');
      checkGradient(loss, a.recurrentKernel as Float64Array, g.dRecurrentKernel, 'dRecurrentKernel');
      checkGradient(loss, a.bias as Float64Array, g.dBias, 'dBias');
      checkGradient(loss, a.h0 as Float64Array, g.dh0, 'dh0');
    });
  }
});

describe('JS reference forward matches tfjs-layers (sigmoid recurrent activation)', () => {
  const B = 3, T = 4, I = 5, U = 6;
  for (const cell of ['lstm', 'gru'] as const) {
    test(cell, async () => {
      await tf.setBackend('cpu');
      const G = (cell === 'lstm' ? 4 : 3) * U;
      const rng = createRng(9, 'tfjs', cell);
      const a = {
        batch: B, time: T, inputSize: I, units: U, reverse: false, h0: null, c0: null,
        x: uniform(rng, B * T * I, 1), kernel: uniform(rng, I * G, 0.7), recurrentKernel: uniform(rng, U * G, 0.7), bias: uniform(rng, G, 0.3),
      };
      const layerArgs = { units: U, returnSequences: true, recurrentActivation: 'sigmoid' as const, inputShape: [T, I] };
      const layer = cell === 'lstm' ? tf.layers.lstm(layerArgs) : tf.layers.gru(layerArgs);
      const expected = tf.tidy(() => {
        const x = tf.tensor3d(a.x, [B, T, I]);
        layer.apply(x);
        layer.setWeights([tf.tensor2d(a.kernel, [I, G]), tf.tensor2d(a.recurrentKernel, [U, G]), tf.tensor1d(a.bias)]);
        return (layer.apply(x) as tf.Tensor).dataSync() as Float32Array;
      });
      const actual = cell === 'lstm' ? referenceKernels.lstmForward(a).h : referenceKernels.gruForward(a).h;
      assertClose(actual, expected, `${cell} h`);
      layer.dispose();
    });
  }
});

interface ConvCase { batch: number; time: number; channels: number; filters: number; offsets: number[]; relu: boolean }

// Sizes straddle the kernel's blocks: rows past one 252-row backward block and not a multiple of
// the 6-row tile, tap widths that split 16-column panels, 1 and 19 filters (partial panels),
// dilation, offsets that reach past the sequence, and one-sided offsets (the dz rows a block
// borrows from its neighbours).
const CONV_CASES: ConvCase[] = [
  { batch: 7, time: 50, channels: 20, filters: 19, offsets: [-1, 0, 1], relu: true },
  { batch: 3, time: 37, channels: 70, filters: 40, offsets: [-4, -2, 0, 2], relu: false },
  { batch: 1, time: 600, channels: 5, filters: 1, offsets: [0], relu: true },
  { batch: 3, time: 20, channels: 11, filters: 1, offsets: [-1, 0, 2], relu: false },
  { batch: 2, time: 4, channels: 3, filters: 33, offsets: [-5, 0, 6], relu: true },
  { batch: 5, time: 130, channels: 7, filters: 18, offsets: [2, 5], relu: true },
  { batch: 4, time: 90, channels: 9, filters: 6, offsets: [-7, -3], relu: true },
  { batch: 2, time: 300, channels: 4, filters: 3, offsets: [-260, 255], relu: true },
  // Channels a multiple of 16: dKernel reads x's rows in place (20 filters: a partial row tile).
  { batch: 4, time: 75, channels: 32, filters: 20, offsets: [-1, 0, 1], relu: true },
  // dKernel in its untransposed form (the other form would pad a tenth more products).
  { batch: 3, time: 100, channels: 12, filters: 64, offsets: [-1, 0, 1], relu: true },
  { batch: 2, time: 140, channels: 10, filters: 32, offsets: [-2, 0, 2], relu: false },
];

function convArgs(c: ConvCase) {
  const rng = createRng(13, 'conv', c.batch, c.time, c.channels, c.filters);
  const rows = c.batch * c.time;
  return {
    batch: c.batch, time: c.time, channels: c.channels, filters: c.filters, taps: c.offsets.length,
    offsets: Int32Array.from(c.offsets), relu: c.relu,
    x: uniform(rng, rows * c.channels, 1), kernel: uniform(rng, c.offsets.length * c.channels * c.filters, 0.5),
    bias: uniform(rng, c.filters, 0.5), dy: uniform(rng, rows * c.filters, 1),
  };
}

/** The convolution and its gradients as plain float64 loops; relu's mask from `yMask` (the kernel's own output). */
function convReference(a: ReturnType<typeof convArgs>, yMask: Float32Array) {
  const { batch: B, time: T, channels: C, filters: F, offsets } = a;
  const y = new Float32Array(B * T * F), dx = new Float64Array(B * T * C), dk = new Float64Array(offsets.length * C * F);
  const db = new Float64Array(F);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const r = b * T + t;
      for (let f = 0; f < F; f++) {
        let v = a.bias[f];
        offsets.forEach((o, j) => {
          if (t + o < 0 || t + o >= T) return;
          for (let c = 0; c < C; c++) v += a.x[(r + o) * C + c] * a.kernel[(j * C + c) * F + f];
        });
        y[r * F + f] = a.relu ? Math.max(v, 0) : v;
        const dz = a.relu && !(yMask[r * F + f] > 0) ? 0 : a.dy[r * F + f];
        db[f] += dz;
        offsets.forEach((o, j) => {
          if (t + o < 0 || t + o >= T) return;
          for (let c = 0; c < C; c++) {
            dk[(j * C + c) * F + f] += a.x[(r + o) * C + c] * dz;
            dx[(r + o) * C + c] += a.kernel[(j * C + c) * F + f] * dz;
          }
        });
      }
    }
  }
  return { y, dx: Float32Array.from(dx), dKernel: Float32Array.from(dk), dBias: Float32Array.from(db) };
}

const convName = (c: ConvCase): string =>
  `b${c.batch} t${c.time} c${c.channels} f${c.filters} offsets ${c.offsets.join(',')}${c.relu ? ' relu' : ''}`;

const addon = loadAddon();
describe('native conv kernel matches float64 loops', { skip: addon ? false : `native addon not available: ${addonStatus().detail}` }, () => {
  for (const c of CONV_CASES) {
    test(convName(c), () => {
      const a = convArgs(c);
      const { y } = addon!.convForward(a);
      const g = addon!.convBackward({ ...a, y });
      const ref = convReference(a, y);
      assertClose(y, ref.y, 'y');
      for (const k of ['dx', 'dKernel', 'dBias'] as const) assertClose(g[k], ref[k], k);
      assert.deepEqual(addon!.convForward(a).y, y, 'same inputs, same bytes');
      assert.deepEqual(addon!.convBackward({ ...a, y }), g, 'same inputs, same bytes');
    });
  }

  test('the generic C path too (TIDAL_NATIVE_ISA=generic)', () => {
    const script = `
      import { readFileSync } from 'node:fs';
      import { loadAddon, nativeKernelPath } from './models/native/index.ts';
      const addon = loadAddon();
      const cases = JSON.parse(readFileSync(0, 'utf8'));
      const out = cases.map((a) => {
        const args = { ...a, offsets: Int32Array.from(a.offsets), x: Float32Array.from(a.x), kernel: Float32Array.from(a.kernel),
          bias: Float32Array.from(a.bias), dy: Float32Array.from(a.dy) };
        const { y } = addon.convForward(args);
        const g = addon.convBackward({ ...args, y });
        return [y, g.dx, g.dKernel, g.dBias].map((v) => Array.from(v));
      });
      console.log(JSON.stringify({ path: nativeKernelPath(), out }));`;
    const all = CONV_CASES.map(convArgs);
    const plain = all.map((a) => ({ ...a, offsets: Array.from(a.offsets), x: Array.from(a.x), kernel: Array.from(a.kernel),
      bias: Array.from(a.bias), dy: Array.from(a.dy) }));
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, TIDAL_NATIVE_ISA: 'generic' }, input: JSON.stringify(plain), encoding: 'utf8', maxBuffer: 1 << 26,
    });
    assert.equal(r.status, 0, r.error?.message ?? r.stderr);
    const { path, out } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { path: string; out: number[][][] };
    assert.equal(path, 'native-generic');
    all.forEach((a, i) => {
      const [y, dx, dKernel, dBias] = out[i].map((v) => Float32Array.from(v));
      const ref = convReference(a, y);
      assertClose(y, ref.y, `${convName(CONV_CASES[i])} y`);
      assertClose(dx, ref.dx, `${convName(CONV_CASES[i])} dx`);
      assertClose(dKernel, ref.dKernel, `${convName(CONV_CASES[i])} dKernel`);
      assertClose(dBias, ref.dBias, `${convName(CONV_CASES[i])} dBias`);
    });
  });
});
