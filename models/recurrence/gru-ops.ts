/**
 * GRU over a whole sequence from tf ops, with a hand-written backward through time.
 * Runs on every backend. Formula is tfjs-layers' GRUCell (reset_after false, gate blocks z, r, h,
 * one bias [3u]) with sigmoid gates:
 *   z = s(x Kz + bz + h Rz), r = s(x Kr + br + h Rr), hh = tanh(x Kh + bh + (r * h) Rh),
 *   h' = z * h + (1 - z) * hh.
 */
import * as tf from '@tensorflow/tfjs';
import { stepOrder } from './lstm-ops.ts';
import { fromTimeMajorRows, splitSteps, sumRows, tanh, toTimeMajorRows } from './split-steps.ts';

interface GruStep { z: tf.Tensor2D; r: tf.Tensor2D; hh: tf.Tensor2D; rh: tf.Tensor2D; hPrev: tf.Tensor2D }
const STEP_KEYS = ['z', 'r', 'hh', 'rh', 'hPrev'] as const;

/** Hidden state at every step, [batch, time, units], in input time order (also when `reverse`). */
export function gruSequenceOps(
  x: tf.Tensor3D, h0: tf.Tensor2D,
  kernel: tf.Tensor2D, recurrentKernel: tf.Tensor2D, bias: tf.Tensor1D, reverse: boolean,
): tf.Tensor3D {
  const [, time] = x.shape;
  const order = stepOrder(time, reverse);
  const run = tf.customGrad(((...args: unknown[]) => {
    const [xIn, h0In, k, r, b] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
    const save = args[5] as tf.GradSaveFunc;
    const rows = toTimeMajorRows(xIn);
    const batch = xIn.shape[0];
    const ones = tf.ones([batch, 1]);
    // Per gate, [kernel; bias; recurrent kernel]: one matMul of [x_t, 1, h] (r * h for the
    // candidate) gives the gate input, so only x is split into steps.
    const kGates = tf.split(k, 3, 1) as tf.Tensor2D[];
    const rGates = tf.split(r, 3, 1) as tf.Tensor2D[];
    const bGates = tf.split(tf.reshape(b, [1, -1]), 3, 1) as tf.Tensor2D[];
    const wGates = kGates.map((kg, gi) => tf.concat([kg, bGates[gi], rGates[gi]], 0) as tf.Tensor2D);
    const xSteps = splitSteps(rows, time);
    const steps: GruStep[] = new Array(time);
    const hs: tf.Tensor2D[] = new Array(time);
    let h = h0In;
    for (const t of order) {
      const [step, hNew] = tf.tidy(() => {
        const a = tf.concat([xSteps[t], ones, h], 1);
        const z = tf.sigmoid(tf.matMul(a, wGates[0]));
        const rg = tf.sigmoid(tf.matMul(a, wGates[1]));
        const rh = tf.mul(rg, h);
        const hh = tanh(tf.matMul(tf.concat([xSteps[t], ones, rh], 1), wGates[2]));
        const hn = tf.add(hh, tf.mul(z, tf.sub(h, hh)));
        return [{ z, r: rg, hh, rh }, hn] as const;
      });
      xSteps[t].dispose();
      steps[t] = { ...(step as Omit<GruStep, 'hPrev'>), hPrev: h } as GruStep;
      hs[t] = hNew as tf.Tensor2D;
      h = hNew as tf.Tensor2D;
    }
    const value = fromTimeMajorRows(tf.concat(hs, 0), time);
    save([rows, k, r, ...steps.flatMap((s) => STEP_KEYS.map((key) => s[key]))]);

    const gradFunc = (dy: tf.Tensor3D, saved: tf.Tensor[]) => {
      const [xRows, kS, rS] = saved as tf.Tensor2D[];
      const perStep = saved.slice(3) as tf.Tensor2D[];
      const at = (t: number): GruStep => {
        const base = t * STEP_KEYS.length;
        return Object.fromEntries(STEP_KEYS.map((key, j) => [key, perStep[base + j]])) as unknown as GruStep;
      };
      const units = h0In.shape[1];
      const one = tf.scalar(1);
      const dyRows = toTimeMajorRows(dy);
      const dySteps = splitSteps(dyRows, time);
      dyRows.dispose();
      // Explicit transposes: a flagged matMul is several times slower on wasm.
      const [rZr, rH] = tf.split(rS, [2 * units, units], 1) as tf.Tensor2D[];
      const rZrT = tf.transpose(rZr) as tf.Tensor2D;
      const rHT = tf.transpose(rH) as tf.Tensor2D;
      const dzr: tf.Tensor2D[] = new Array(time);
      const dzh: tf.Tensor2D[] = new Array(time);
      let dhNext = tf.zerosLike(h0In) as tf.Tensor2D;
      for (let n = time - 1; n >= 0; n--) {
        const t = order[n];
        const s = at(t);
        const [zr, zh, dhPrev] = tf.tidy(() => {
          const dh = tf.add(dySteps[t], dhNext);
          const dzz = tf.mul(tf.mul(dh, tf.sub(s.hPrev, s.hh)), tf.mul(s.z, tf.sub(one, s.z)));
          const dzH = tf.mul(tf.mul(dh, tf.sub(one, s.z)), tf.sub(one, tf.square(s.hh)));
          const drh = tf.matMul(dzH, rHT);
          const dzR = tf.mul(tf.mul(drh, s.hPrev), tf.mul(s.r, tf.sub(one, s.r)));
          const zrBoth = tf.concat([dzz, dzR], 1);
          const dhp = tf.addN([tf.mul(dh, s.z), tf.mul(drh, s.r), tf.matMul(zrBoth, rZrT)]);
          return [zrBoth, dzH, dhp];
        });
        dhNext.dispose();
        dySteps[t].dispose();
        dzr[t] = zr as tf.Tensor2D;
        dzh[t] = zh as tf.Tensor2D;
        dhNext = dhPrev as tf.Tensor2D;
      }
      const dzrRows = tf.concat(dzr, 0);
      const dzhRows = tf.concat(dzh, 0);
      const dzRows = tf.concat([dzrRows, dzhRows], 1); // [time * batch, 3u], time-major like xRows
      const hPrevRows = tf.concat(Array.from({ length: time }, (_, t) => at(t).hPrev), 0);
      const rhRows = tf.concat(Array.from({ length: time }, (_, t) => at(t).rh), 0);
      const dKernel = tf.matMul(tf.transpose(xRows), dzRows);
      const dRecurrent = tf.concat(
        [tf.matMul(tf.transpose(hPrevRows), dzrRows), tf.matMul(tf.transpose(rhRows), dzhRows)], 1);
      const dBias = sumRows(dzRows);
      const dx = fromTimeMajorRows(tf.matMul(dzRows, tf.transpose(kS)) as tf.Tensor2D, time);
      return [dx, dhNext, dKernel, dRecurrent, dBias];
    };
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return run(x, h0, kernel, recurrentKernel, bias) as tf.Tensor3D;
}
