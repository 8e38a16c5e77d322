/**
 * Training throughput: sequences/second and peak RSS of one training batch loop, for every case of
 * bench/train-cases.ts on every backend present, fused recurrent cases once per recurrence path
 * (native kernels, tf ops), next to PyTorch (bench/train_torch.py, 1 thread) measured in the same
 * run when python3 can import torch.
 *
 *   npm run bench:train [-- --backends cpu,wasm --cases bilstm-fused --seconds 20 --batches 8]
 *
 * Each case runs in its own child process so its peak RSS is its own. Protocol (both sides):
 * batch 256, MAE loss, Adam(1e-3), warm-up batches untimed, then up to --batches timed batches
 * or --seconds of them, whichever ends first (slow stock cases get fewer). Both sides also report
 * sequences per second of their own CPU time: on a shared machine that ratio is the steadier one.
 * Cases with native kernels (recurrent or conv/attention/LayerNorm layers) run once per path.
 */
import { fork, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../core/seed.ts';
import { selectBackend, type BackendName } from '../models/backend.ts';
import { loadNativeKernels } from '../models/recurrence/native.ts';
import { nativeKernelPath } from '../models/native/index.ts';
import { BENCH_CASES, type BenchCase } from './train-cases.ts';

const BATCH = 256;
const HERE = dirname(fileURLToPath(import.meta.url));

interface Job { caseName: string; backend: BackendName; path: 'native' | 'ops' | null; batches: number; seconds: number; warmup: number }
interface Measured { seqPerSec: number; seqPerCpuSec: number; timedBatches: number; peakRssMb: number; params: number; finalLoss: number }
type ChildReply = { ok: true; result: Measured } | { ok: false; error: string };

function randomBatch(shape: number[], seed: number): tf.Tensor {
  const rng = createRng(seed, 'bench-train', shape.join('x'));
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => 2 * rng() - 1), shape);
}

/** Child side: one case, one backend, one path. */
async function runChild(job: Job): Promise<Measured> {
  // One switch for every native kernel: recurrent layers and the conv/attention/LayerNorm/Dense ones.
  if (job.path) {
    process.env.TIDAL_RECURRENCE = job.path;
    process.env.TIDAL_LAYER_KERNELS = job.path;
  }
  await selectBackend(job.backend);
  const c = BENCH_CASES.find((k) => k.name === job.caseName);
  if (!c) throw new Error(`unknown bench case '${job.caseName}'`);
  const model = c.build();
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanAbsoluteError' });
  const x = randomBatch([BATCH, ...c.inputShape], 1);
  const outShape = (model.outputs[0].shape as (number | null)[]).slice(1).map((d) => d ?? 1);
  const y = randomBatch([BATCH, ...outShape], 2);
  let loss = NaN;
  const step = async () => {
    const l = await model.trainOnBatch(x, y);
    loss = Array.isArray(l) ? l[0] : l;
  };
  for (let i = 0; i < job.warmup; i++) await step();
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  let n = 0;
  while (n < job.batches && (n === 0 || performance.now() - start < job.seconds * 1000)) {
    await step();
    n++;
  }
  const secs = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return {
    seqPerSec: (n * BATCH) / secs,
    seqPerCpuSec: (n * BATCH) / ((cpu.user + cpu.system) / 1e6),
    timedBatches: n,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    params: model.countParams(),
    finalLoss: loss,
  };
}

function runInChild(job: Job): Promise<ChildReply> {
  return new Promise((resolve) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify(job)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let reply: ChildReply | null = null;
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += String(d)));
    child.on('message', (m) => (reply = m as ChildReply));
    child.on('exit', (code) => resolve(reply ?? { ok: false, error: `child exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}` }));
  });
}

/** The python that can import torch, or null. */
function findTorchPython(): string | null {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return null;
}

interface TorchMeasured { seqPerSec: number; seqPerCpuSec: number; peakRssMb: number }

function runTorch(py: string, torchName: string, batches: number, seconds: number): TorchMeasured | string {
  const r = spawnSync(py, [join(HERE, 'train_torch.py'), '--model', torchName, '--batch', String(BATCH), '--batches', String(batches), '--seconds', String(seconds)], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
  });
  if (r.status !== 0) return `train_torch.py failed: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`;
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { seq_per_sec: number; seq_per_cpu_sec: number; peak_rss_mb: number };
  return { seqPerSec: out.seq_per_sec, seqPerCpuSec: out.seq_per_cpu_sec, peakRssMb: out.peak_rss_mb };
}

async function probeBackend(backend: BackendName): Promise<string | null> {
  const reply = await runInChild({ caseName: '', backend, path: null, batches: 0, seconds: 0, warmup: 0 });
  return reply.ok ? null : reply.error;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      backends: { type: 'string', default: 'cpu,wasm,webgpu,tensorflow' },
      cases: { type: 'string' },
      seconds: { type: 'string', default: '10' },
      batches: { type: 'string', default: '6' },
    },
  });
  const seconds = Number(values.seconds);
  const maxBatches = Number(values.batches);
  const wanted = values.cases?.split(',');
  const cases: BenchCase[] = BENCH_CASES.filter((c) => !wanted || wanted.includes(c.name));
  console.log(`bench:train  ${new Date().toISOString()}  batch ${BATCH}, MAE, Adam; up to ${maxBatches} timed batches / ${seconds} s a case`);

  const backends: BackendName[] = [];
  for (const b of values.backends!.split(',') as BackendName[]) {
    const why = b === 'cpu' || b === 'wasm' ? null : await probeBackend(b);
    if (why) console.log(`skip backend ${b}: ${why}`);
    else backends.push(b);
  }
  const native = loadNativeKernels();
  console.log(native ? `native kernels: ${nativeKernelPath()}` : 'native kernels: not built (native rows skipped)');

  const py = findTorchPython();
  if (!py) console.log('PyTorch: python3 cannot import torch, ratios skipped');
  const torchNotes = new Set<string>();

  const rows: string[][] = [];
  for (const backend of backends) {
    for (const c of cases) {
      const paths: ('native' | 'ops' | null)[] = !c.fusedRecurrence && !c.nativeLayers
        ? [null]
        : [...(native && (backend === 'cpu' || backend === 'wasm') ? (['native'] as const) : []), 'ops'];
      for (const path of paths) {
        // PyTorch right before and right after each row, so both sides see the same load on this
        // shared machine; the faster PyTorch figure is kept (the ratio errs low, not high).
        const torchRun = () => (py && c.torchName ? runTorch(py, c.torchName, maxBatches, seconds) : null);
        const before = torchRun();
        const batches = Math.min(maxBatches, c.batches ?? maxBatches);
        const reply = await runInChild({ caseName: c.name, backend, path, batches, seconds, warmup: c.batches && c.batches < 4 ? 1 : 2 });
        const after = torchRun();
        for (const ref of [before, after]) if (typeof ref === 'string') torchNotes.add(`PyTorch ${c.torchName}: ${ref}`);
        const refs = [before, after].filter((r): r is TorchMeasured => r !== null && typeof r !== 'string');
        const refOk = refs.sort((a, b) => b.seqPerSec - a.seqPerSec)[0];
        const refCpu = refs.map((r) => r.seqPerCpuSec).sort((a, b) => b - a)[0];
        const row = reply.ok
          ? [c.name, backend, path ?? '-', reply.result.seqPerSec.toFixed(1), reply.result.peakRssMb.toFixed(0),
            String(reply.result.timedBatches), refOk ? refOk.seqPerSec.toFixed(0) : '-',
            refOk ? (reply.result.seqPerSec / refOk.seqPerSec).toFixed(3) : '-',
            reply.result.seqPerCpuSec.toFixed(1), refCpu ? refCpu.toFixed(0) : '-',
            refCpu ? (reply.result.seqPerCpuSec / refCpu).toFixed(3) : '-']
          : [c.name, backend, path ?? '-', `error: ${reply.error}`, '', '', '', '', '', '', ''];
        rows.push(row);
        console.log(row.join('\t'));
      }
    }
  }
  console.log('\n| case | backend | path | seq/s | peak RSS MB | timed batches | PyTorch seq/s | ours / PyTorch | seq/CPU-s | PyTorch seq/CPU-s | ours / PyTorch (CPU) |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  for (const note of torchNotes) console.log(note);
}

if (process.argv[2] === '--child') {
  const job = JSON.parse(process.argv[3]) as Job;
  const reply: ChildReply = await (job.caseName === ''
    ? selectBackend(job.backend).then(() => ({ ok: true as const, result: { seqPerSec: 0, seqPerCpuSec: 0, timedBatches: 0, peakRssMb: 0, params: 0, finalLoss: 0 } }))
    : runChild(job).then((result) => ({ ok: true as const, result })))
    .catch((err: Error) => ({ ok: false as const, error: err.message.split('\n')[0] }));
  process.send!(reply);
  process.disconnect();
} else {
  await main();
}
