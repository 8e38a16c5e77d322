/**
 * Steady-state CPU ms per training batch of one bench:train case on wasm with the native kernels:
 * bench:train's few timed batches swing by 10% and more on a loaded machine, and include the
 * process's first batches. Here each round times --batches batches after 3 warm-up ones and
 * prints its CPU ms a batch (process CPU time, so the time other processes held the core is left
 * out), for comparing two builds of the addon run one after the other, round by round.
 *
 *   node --import tsx bench/train-steady.ts [--case conv1d-im2col] [--batches 30] [--rounds 3]
 *
 * Same step as bench/train.ts: the pipeline's Adam, MAE, batch 256 unless the case sets one.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../models/backend.ts';
import { nativeKernelPath } from '../models/native/index.ts';
import { BENCH_CASES, trainingStep } from './train-cases.ts';

const { values } = parseArgs({
  options: {
    case: { type: 'string', default: 'conv1d-im2col' },
    batches: { type: 'string', default: '30' },
    rounds: { type: 'string', default: '3' },
  },
});
const batches = Number(values.batches), rounds = Number(values.rounds);
if (!Number.isInteger(batches) || batches < 1) throw new Error(`--batches must be a positive integer, got '${values.batches}'`);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got '${values.rounds}'`);
const c = BENCH_CASES.find((k) => k.name === values.case);
if (!c) throw new Error(`--case: unknown bench case '${values.case}' (known: ${BENCH_CASES.map((k) => k.name).join(', ')})`);

process.env.TIDAL_RECURRENCE ??= 'native';
process.env.TIDAL_LAYER_KERNELS ??= 'native';
await selectBackend('wasm');
const batch = c.batch ?? 256;
const model = c.build();
const x = tf.randomUniform([batch, ...c.inputShape], -1, 1, 'float32', 1);
const outShape = (model.outputs[0].shape as (number | null)[]).slice(1).map((d) => d ?? 1);
const y = tf.randomUniform([batch, ...outShape], -1, 1, 'float32', 2);
const { step, lastLoss } = trainingStep(model, x, y);

console.log(`bench train-steady  ${new Date().toISOString()}  ${c.name}, wasm, batch ${batch}, kernels ${nativeKernelPath()}`);
for (let i = 0; i < 3; i++) step();
await lastLoss().data();
for (let r = 0; r < rounds; r++) {
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < batches; i++) step();
  await lastLoss().data();
  const cpu = process.cpuUsage(cpu0);
  const ms = (cpu.user + cpu.system) / 1e3 / batches;
  console.log(`round ${r + 1}: ${ms.toFixed(1)} CPU ms a batch, ${((batch * 1000) / ms).toFixed(0)} seq per CPU-s`);
}
