/**
 * Micro-benchmark of the native kernels alone (no tfjs): GFLOP/s of LSTM and GRU forward and
 * backward on the reference shapes (batch 256, time 80, units 64, inputs 12 and 128), then the
 * layer kernels on the bench:train shapes (Conv1D 64 k3 and the final Dense 1 of conv1d-im2col,
 * the encoder block's attention and LayerNorm). FLOPs count only the GEMM work: recurrent forward
 * 2*B*T*(I+U)*G, backward 2*B*T*(2I+2U)*G (G gate columns); conv and dense forward 2*B*T*k*C*F,
 * backward twice that; attention forward 4*B*H*T*T*E, backward twice that. The first line names the instruction-set path
 * (TIDAL_NATIVE_ISA=generic forces the plain C one).
 * Usage: node --import tsx bench/kernels.ts [--reps 5]
 */
import { parseArgs } from 'node:util';
import { loadNativeKernels, nativeKernelsStatus } from '../models/recurrence/native.ts';
import { loadAddon, nativeKernelPath } from '../models/native/index.ts';
import { createRng, deriveSeed } from '../core/seed.ts';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '5' } } });
const reps = Number(values.reps);
const kernels = loadNativeKernels();
if (!kernels) {
  console.error(`native kernels unavailable: ${nativeKernelsStatus().detail}`);
  process.exit(1);
}

const rng = createRng(deriveSeed(7, 'bench-kernels'));
const uniform = (n: number, scale: number): Float32Array => Float32Array.from({ length: n }, () => (rng() * 2 - 1) * scale);

/**
 * Best of `reps` runs, in ms of wall clock and of process CPU time. On a shared machine the CPU
 * time is the steadier figure: it leaves out the time other processes held the core.
 */
function best(fn: () => void): { wall: number; cpu: number } {
  let wall = Infinity, cpu = Infinity;
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage(), t0 = process.hrtime.bigint();
    fn();
    wall = Math.min(wall, Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    cpu = Math.min(cpu, (c.user + c.system) / 1e3);
  }
  return { wall, cpu };
}

const batch = 256, time = 80, units = 64;
console.log(`kernels: ${nativeKernelPath()}, batch ${batch}, time ${time}, units ${units}, best of ${reps}`);
console.log('cell  input  pass     wall ms  GFLOP/s   cpu ms  GFLOP/s(cpu)');
for (const cell of ['lstm', 'gru'] as const) {
  for (const inputSize of [12, 128]) {
    const G = (cell === 'lstm' ? 4 : 3) * units;
    const args = {
      batch, time, inputSize, units, reverse: false,
      x: uniform(batch * time * inputSize, 1), kernel: uniform(inputSize * G, 0.2),
      recurrentKernel: uniform(units * G, 0.2), bias: uniform(G, 0.1), h0: null, c0: null,
    };
    const dh = uniform(batch * time * units, 1);
    const fwdFlops = 2 * batch * time * (inputSize + units) * G;
    let fwdMs: { wall: number; cpu: number }, bwdMs: { wall: number; cpu: number };
    if (cell === 'lstm') {
      const f = kernels.lstmForward(args);
      fwdMs = best(() => kernels.lstmForward(args));
      bwdMs = best(() => kernels.lstmBackward({ ...args, cache: f.cache, h: f.h, dh, dhLast: null, dcLast: null }));
    } else {
      const f = kernels.gruForward(args);
      fwdMs = best(() => kernels.gruForward(args));
      bwdMs = best(() => kernels.gruBackward({ ...args, cache: f.cache, h: f.h, dh, dhLast: null }));
    }
    for (const [pass, ms, flops] of [['forward', fwdMs, fwdFlops], ['backward', bwdMs, 2 * fwdFlops]] as const) {
      const cols = [ms.wall, flops / ms.wall / 1e6, ms.cpu, flops / ms.cpu / 1e6].map((v) => v.toFixed(1).padStart(8));
      console.log(`${cell.padEnd(5)} ${String(inputSize).padStart(5)}  ${pass.padEnd(8)}${cols.join(' ')}`);
    }
  }
}

const addon = loadAddon()!;
const report = (name: string, pass: string, ms: { wall: number; cpu: number }, flops: number) => {
  const cols = [ms.wall, flops / ms.wall / 1e6, ms.cpu, flops / ms.cpu / 1e6].map((v) => v.toFixed(1).padStart(8));
  console.log(`${name.padEnd(22)} ${pass.padEnd(8)}${cols.join(' ')}`);
};
console.log(`\nlayer kernels, batch ${batch}, time ${time}`);
console.log('kernel                 pass     wall ms  GFLOP/s   cpu ms  GFLOP/s(cpu)');
// The conv kernels write into arrays given once (`out`), as training on wasm does (views of the
// heap): a fresh 5 MB result a call would add its page faults to every figure.
for (const [channels, filters, taps] of [[12, 64, 3], [64, 64, 3], [64, 1, 1]]) {
  const conv = {
    batch, time, channels, filters, taps, offsets: taps === 3 ? Int32Array.of(-1, 0, 1) : Int32Array.of(0), relu: taps === 3,
    x: uniform(batch * time * channels, 1), kernel: uniform(taps * channels * filters, 0.2), bias: uniform(filters, 0.1),
  };
  const fwdOut = { y: new Float32Array(batch * time * filters) };
  const { y } = addon.convForward({ ...conv, out: fwdOut });
  const dy = uniform(y.length, 1);
  const bwdOut = { dx: new Float32Array(conv.x.length), dKernel: new Float32Array(conv.kernel.length), dBias: new Float32Array(filters) };
  const flops = 2 * batch * time * taps * channels * filters;
  const name = taps === 3 ? `conv1d ${channels}->${filters} k3 relu` : `dense ${channels}->${filters}`;
  report(name, 'forward', best(() => addon.convForward({ ...conv, out: fwdOut })), flops);
  report(name, 'backward', best(() => addon.convBackward({ ...conv, y, dy, out: bwdOut })), 2 * flops);
}
const heads = 4, keyDim = 16;
const attention = { batch, time, heads, keyDim, qkv: uniform(batch * time * 3 * heads * keyDim, 1) };
const { probs } = addon.attentionForward(attention);
const dContext = uniform(batch * time * heads * keyDim, 1);
const attentionFlops = 4 * batch * heads * time * time * keyDim;
report('attention 4 x 16', 'forward', best(() => addon.attentionForward(attention)), attentionFlops);
report('attention 4 x 16', 'backward', best(() => addon.attentionBackward({ ...attention, probs, dContext })), 2 * attentionFlops);
const norm = {
  rows: batch * time, width: 64, epsilon: 1e-5, x: uniform(batch * time * 64, 1), residual: uniform(batch * time * 64, 1),
  skipWeight: null, gamma: uniform(64, 1), beta: uniform(64, 1),
};
const { stats } = addon.layerNormForward(norm);
const dNorm = uniform(batch * time * 64, 1);
report('layernorm 64 + skip', 'forward', best(() => addon.layerNormForward(norm)), 0);
report('layernorm 64 + skip', 'backward', best(() => addon.layerNormBackward({ ...norm, stats, dy: dNorm })), 0);
