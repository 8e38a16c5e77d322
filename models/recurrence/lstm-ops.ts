/**
 * LSTM over a whole sequence from tf ops, with a hand-written backward through time.
 * Runs on every backend. Formula and gate order (i, f, c, o) are tfjs-layers' LSTMCell with
 * sigmoid gates and tanh activation.
 */
import * as tf from '@tensorflow/tfjs';
import { fromTimeMajorRows, splitSteps, sumRows, tanh, toTimeMajorRows } from './split-steps.ts';

/** Input time indices in processing order. */
export function stepOrder(time: number, reverse: boolean): number[] {
  const order = Array.from({ length: time }, (_, t) => t);
  return reverse ? order.reverse() : order;
}

interface LstmStep {
  i: tf.Tensor2D; f: tf.Tensor2D; g: tf.Tensor2D; o: tf.Tensor2D;
  /** tanh of the new cell state. */
  tc: tf.Tensor2D;
  hPrev: tf.Tensor2D; cPrev: tf.Tensor2D;
}
const STEP_KEYS = ['i', 'f', 'g', 'o', 'tc', 'hPrev', 'cPrev'] as const;

/**
 * Hidden state at every step, [batch, time, units], in input time order (also when `reverse`).
 * Gradients flow to x, h0, c0, kernel, recurrentKernel and bias.
 */
export function lstmSequenceOps(
  x: tf.Tensor3D, h0: tf.Tensor2D, c0: tf.Tensor2D,
  kernel: tf.Tensor2D, recurrentKernel: tf.Tensor2D, bias: tf.Tensor1D, reverse: boolean,
): tf.Tensor3D {
  const [, time] = x.shape;
  const order = stepOrder(time, reverse);
  const run = tf.customGrad(((...args: unknown[]) => {
    const [xIn, h0In, c0In, k, r, b] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
    const save = args[6] as tf.GradSaveFunc;
    const rows = toTimeMajorRows(xIn);
    const batch = xIn.shape[0];
    const ones = tf.ones([batch, 1]);
    // Per gate, [kernel; bias; recurrent kernel]: one matMul of [x_t, 1, h] gives the gate input,
    // so only x (not four gate projections) is split into steps.
    const kGates = tf.split(k, 4, 1) as tf.Tensor2D[];
    const rGates = tf.split(r, 4, 1) as tf.Tensor2D[];
    const bGates = tf.split(tf.reshape(b, [1, -1]), 4, 1) as tf.Tensor2D[];
    const wGates = kGates.map((kg, gi) => tf.concat([kg, bGates[gi], rGates[gi]], 0) as tf.Tensor2D);
    const xSteps = splitSteps(rows, time);
    const steps: LstmStep[] = new Array(time);
    const hs: tf.Tensor2D[] = new Array(time);
    let h = h0In;
    let c = c0In;
    for (const t of order) {
      const [step, hNew, cNew] = tf.tidy(() => {
        const a = tf.concat([xSteps[t], ones, h], 1);
        const i = tf.sigmoid(tf.matMul(a, wGates[0]));
        const f = tf.sigmoid(tf.matMul(a, wGates[1]));
        const g = tanh(tf.matMul(a, wGates[2]));
        const o = tf.sigmoid(tf.matMul(a, wGates[3]));
        const cn = tf.add(tf.mul(f, c), tf.mul(i, g));
        const tc = tanh(cn);
        const hn = tf.mul(o, tc);
        return [{ i, f, g, o, tc }, hn, cn] as const;
      });
      xSteps[t].dispose();
      steps[t] = { ...(step as Omit<LstmStep, 'hPrev' | 'cPrev'>), hPrev: h, cPrev: c } as LstmStep;
      hs[t] = hNew as tf.Tensor2D;
      h = hNew as tf.Tensor2D;
      c = cNew as tf.Tensor2D;
    }
    const value = fromTimeMajorRows(tf.concat(hs, 0), time);
    save([rows, k, r, ...steps.flatMap((s) => STEP_KEYS.map((key) => s[key]))]);

    const gradFunc = (dy: tf.Tensor3D, saved: tf.Tensor[]) => {
      const [xRows, kS, rS] = saved as tf.Tensor2D[];
      const saved3 = saved.slice(3) as tf.Tensor2D[];
      const at = (t: number): LstmStep => {
        const base = t * STEP_KEYS.length;
        return Object.fromEntries(STEP_KEYS.map((key, j) => [key, saved3[base + j]])) as unknown as LstmStep;
      };
      const one = tf.scalar(1);
      const dyRows = toTimeMajorRows(dy);
      const dySteps = splitSteps(dyRows, time);
      dyRows.dispose();
      const rT = tf.transpose(rS) as tf.Tensor2D; // [4u, u]: explicit transpose, faster than a flagged matMul on wasm
      const dz: tf.Tensor2D[] = new Array(time);
      let dhNext = tf.zerosLike(h0In) as tf.Tensor2D;
      let dcNext = tf.zerosLike(c0In) as tf.Tensor2D;
      for (let n = time - 1; n >= 0; n--) {
        const t = order[n];
        const s = at(t);
        const [dzt, dhPrev, dcPrev] = tf.tidy(() => {
          const dh = tf.add(dySteps[t], dhNext);
          const dzo = tf.mul(tf.mul(dh, s.tc), tf.mul(s.o, tf.sub(one, s.o)));
          const dc = tf.add(dcNext, tf.mul(tf.mul(dh, s.o), tf.sub(one, tf.square(s.tc))));
          const dzi = tf.mul(tf.mul(dc, s.g), tf.mul(s.i, tf.sub(one, s.i)));
          const dzf = tf.mul(tf.mul(dc, s.cPrev), tf.mul(s.f, tf.sub(one, s.f)));
          const dzg = tf.mul(tf.mul(dc, s.i), tf.sub(one, tf.square(s.g)));
          const zAll = tf.concat([dzi, dzf, dzg, dzo], 1);
          return [zAll, tf.matMul(zAll, rT), tf.mul(dc, s.f)];
        });
        dhNext.dispose();
        dcNext.dispose();
        dySteps[t].dispose();
        dz[t] = dzt as tf.Tensor2D;
        dhNext = dhPrev as tf.Tensor2D;
        dcNext = dcPrev as tf.Tensor2D;
      }
      const dzRows = tf.concat(dz, 0); // [time * batch, 4u], time-major like xRows
      const hPrevRows = tf.concat(Array.from({ length: time }, (_, t) => at(t).hPrev), 0);
      const dKernel = tf.matMul(tf.transpose(xRows), dzRows);
      const dRecurrent = tf.matMul(tf.transpose(hPrevRows), dzRows);
      const dBias = sumRows(dzRows);
      const dx = fromTimeMajorRows(tf.matMul(dzRows, tf.transpose(kS)) as tf.Tensor2D, time);
      return [dx, dhNext, dcNext, dKernel, dRecurrent, dBias];
    };
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return run(x, h0, c0, kernel, recurrentKernel, bias) as tf.Tensor3D;
}
