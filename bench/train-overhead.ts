/**
 * Training cost of registered models' `small` configs at the quality table's batch (32) on wasm,
 * where per-kernel overhead rather than arithmetic sets the speed: for each model, the tf kernels
 * one training batch dispatches (tf.profile, by kernel name), then CPU ms (all of the process's
 * threads: V8 compiles and collects garbage on helper threads) and wall ms per training batch and
 * per prediction batch, the models' batches interleaved round by round in one process so that
 * each sees the same machine load.
 *
 *   node --import tsx bench/train-overhead.ts [--models bilstm,lstm-cnn-transformer] [--rounds 30] [--kernels]
 *
 * Same step as bench/train.ts (the pipeline's Adam, MAE); random inputs of the `public` feature
 * width. TIDAL_LAYER_KERNELS=ops|native and TIDAL_RECURRENCE pick the paths as everywhere.
 * --kernels also splits each model's training batch by native kernel (CPU ms a batch in each
 * addon function, the rest being tfjs and JavaScript); the timing around every call adds a few µs.
 */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../models/backend.ts';
import { NATIVE_ADDON_PATH, nativeKernelPath } from '../models/native/index.ts';
import { getModel } from '../models/registry.ts';
import { AdamOptimizer } from '../models/training/index.ts';

const BATCH = 32;
const TIME = 80;
/** Width of the `public` feature set (bench/train-cases.ts PUBLIC_FEATURES). */
const FEATURES = 50;

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'bilstm,lstm-cnn-transformer' },
    rounds: { type: 'string', default: '30' },
    kernels: { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got '${values.rounds}'`);

/** CPU µs in each addon function while `current` names a model; null: not timing. */
const kernelUs = new Map<string, Map<string, number>>();
let current: string | null = null;
if (values.kernels) {
  // The addon's exports are read-only: time a copy of them, which models/native/addon.ts then loads.
  const require = createRequire(import.meta.url);
  const addon = require(NATIVE_ADDON_PATH) as Record<string, unknown>;
  const timed: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(addon)) {
    if (typeof value !== 'function') {
      timed[name] = value;
      continue;
    }
    timed[name] = (...args: unknown[]) => {
      if (current === null) return value(...args);
      const start = process.cpuUsage();
      const result = value(...args);
      const used = process.cpuUsage(start);
      const byKernel = kernelUs.get(current)!;
      byKernel.set(name, (byKernel.get(name) ?? 0) + used.user + used.system);
      return result;
    };
  }
  require.cache[NATIVE_ADDON_PATH]!.exports = timed;
}
await selectBackend('wasm');
console.log(`bench train-overhead  ${new Date().toISOString()}  wasm, batch ${BATCH}, native: ${nativeKernelPath()}, ${rounds} rounds`);

const x = tf.randomUniform([BATCH, TIME, FEATURES], -1, 1, 'float32', 1);
const y = tf.randomUniform([BATCH, TIME, 1], -1, 1, 'float32', 2);
const runs = values.models!.split(',').map((name) => {
  const definition = getModel(name);
  const model = definition.build(definition.small, FEATURES, 7);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = new AdamOptimizer({ kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }, variables);
  const train = () => tf.tidy(() => {
    const { value, grads } = tf.variableGrads(
      () => tf.mean(tf.abs(tf.sub(model.apply(x, { training: true }) as tf.Tensor, y))) as tf.Scalar, variables);
    optimizer.apply(variables.map((v) => grads[v.name]), 1e-3);
    return value;
  }).dataSync();
  // The read stays outside tidy: tidy walks what it returns, and walking a Float32Array element by
  // element deoptimised tfjs's walkTensorContainer again and again (about 4 deopts and background
  // recompiles every 5 predictions, never settling; the pipeline's predictBreaths returns the tensor).
  const predict = () => {
    const out = tf.tidy(() => model.predict(x) as tf.Tensor);
    out.dataSync();
    out.dispose();
  };
  return { name, train, predict, trainUs: 0, predictUs: 0, trainWallMs: 0, predictWallMs: 0 };
});

/** CPU µs of the whole process (every thread) and wall ms of one call. */
const timed = (f: () => unknown) => {
  const start = process.cpuUsage();
  const wall = performance.now();
  f();
  const used = process.cpuUsage(start);
  return { us: used.user + used.system, ms: performance.now() - wall };
};
for (const r of runs) {
  r.train();
  r.train();
  r.predict();
  const counts = new Map<string, number>();
  const { kernels } = await tf.profile(() => { r.train(); });
  for (const k of kernels) counts.set(k.name, (counts.get(k.name) ?? 0) + 1);
  const top = [...counts].sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name} ${n}`).join(', ');
  console.log(`${r.name}: ${kernels.length} tf kernels a training batch (${top})`);
}
for (const r of runs) kernelUs.set(r.name, new Map());
for (let i = 0; i < rounds; i++) {
  for (const r of runs) {
    current = r.name;
    const t = timed(r.train);
    current = null;
    const p = timed(r.predict);
    r.trainUs += t.us;
    r.trainWallMs += t.ms;
    r.predictUs += p.us;
    r.predictWallMs += p.ms;
  }
}
console.log('\n| model | CPU ms a training batch | wall ms | CPU ms a prediction batch | wall ms |\n|---|---|---|---|---|');
for (const r of runs) {
  const per = (v: number) => (v / rounds).toFixed(1);
  console.log(`| ${r.name} | ${per(r.trainUs / 1000)} | ${per(r.trainWallMs)} | ${per(r.predictUs / 1000)} | ${per(r.predictWallMs)} |`);
}
if (values.kernels) {
  for (const r of runs) {
    const byKernel = [...kernelUs.get(r.name)!].sort((a, b) => b[1] - a[1]);
    if (byKernel.length === 0) throw new Error('--kernels: no addon call was timed (the addon loaded before the wrapper?)');
    const native = byKernel.reduce((sum, [, us]) => sum + us, 0);
    const parts = byKernel.map(([name, us]) => `${name} ${(us / 1000 / rounds).toFixed(2)}`).join(', ');
    console.log(`${r.name}: native ${(native / 1000 / rounds).toFixed(1)} of ${(r.trainUs / 1000 / rounds).toFixed(1)} CPU ms a training batch (${parts})`);
  }
}
