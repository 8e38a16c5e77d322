/**
 * Training throughput: sequences/second and peak RSS of one training batch loop, for every case of
 * bench/train-cases.ts on every backend present, fused recurrent cases once per recurrence path
 * (native kernels, WGSL kernels, tf ops) and cases with native conv/attention/LayerNorm layers once
 * per layer path (native kernels, tf ops), next to PyTorch (bench/train_torch.py) measured in the
 * same run when python3 can import torch: 1 CPU thread, or with --torch-device cuda on the GPU in
 * fp32 with TF32 off and with TF32 on. On webgpu it also counts the GPU dispatches, queue submits
 * and read-backs of one training batch.
 *
 *   npm run bench:train [-- --backends cpu,wasm --cases bilstm-fused --seconds 20 --batches 8]
 *   --tiny: every case at its small size and batch 8, no tf-ops rows, PyTorch once a row, one
 *           warm-up batch (a check that the bench runs, not a figure)
 *   --webgpu-steps plain,tiled: the WGSL rows once per step program (TIDAL_WEBGPU_STEP),
 *           shown as path webgpu-plain / webgpu-tiled; default one row, the size-based choice
 *   --cpu-batches N: at most N timed batches on cpu and wasm (slow rows), default --batches
 *
 * Each case runs in its own child process so its peak RSS is its own. Protocol (both sides):
 * the case's batch (256 unless it sets one), MAE loss, Adam(1e-3) (ours: the pipeline's training
 * step and optimizer, models/training), warm-up batches untimed, then
 * up to --batches timed batches or --seconds of them, whichever ends first (slow cases get fewer).
 * Both sides also report sequences per second of their own CPU time: on a shared machine that
 * ratio is the steadier one. Where the peak RSS goes: see MemoryTrace (last columns).
 */
import { fork, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../core/seed.ts';
import { selectBackend, type BackendName } from '../models/backend.ts';
import { nativeKernelPath } from '../models/native/index.ts';
import { countWebGpuDispatches } from '../models/recurrence/webgpu-dispatch-count.ts';
import { BENCH_CASES, trainingStep, type BenchCase } from './train-cases.ts';

const BATCH = 256;
const TINY_BATCH = 8;
/** Breaths a kaggle-preset epoch trains on: 75,450 training breaths, 9 of 10 folds. */
const KAGGLE_EPOCH_BREATHS = Math.round((75_450 * 9) / 10);
const HERE = dirname(fileURLToPath(import.meta.url));

type Path = 'native' | 'webgpu' | 'ops';
type WebGpuStepSetting = 'plain' | 'tiled' | 'auto';
interface Job {
  caseName: string; backend: BackendName; path: Path | null; batch: number; batches: number; seconds: number; warmup: number; tiny: boolean;
  /** The WGSL step programs (TIDAL_WEBGPU_STEP) on the webgpu path; null: the environment's. */
  webgpuStep: WebGpuStepSetting | null;
}
interface Measured {
  seqPerSec: number; seqPerCpuSec: number; timedBatches: number; peakRssMb: number; params: number; finalLoss: number;
  /** Where the peak RSS goes: see MemoryTrace. */
  memory: MemoryTrace;
  /** tf kernels dispatched by one training batch (tf.profile), custom gradients included. */
  kernels: number;
  /** webgpu only: what one training batch sent to the GPU. */
  gpu?: { dispatches: number; submits: number; readbacks: number };
  /** Probe only: the webgpu adapter. */
  adapter?: string;
}
/**
 * The child's memory around the batches: RSS with the backend loaded before any model exists (Node,
 * tsx, tfjs, the wasm module), the wasm heap's size after the last batch (it never shrinks, so this
 * is its high-water mark: the live tensors at the peak of a batch plus fragmentation), the most
 * host ArrayBuffer memory seen after a batch (kernel results outside the heap, host copies, and
 * what the garbage collector has not freed yet), and the tensors alive between batches.
 */
interface MemoryTrace { baseRssMb: number; wasmHeapMb: number; hostArrayBuffersMb: number; tensorsBetweenBatches: number; tensorMbBetweenBatches: number }
type ChildReply = { ok: true; result: Measured } | { ok: false; error: string };

function randomBatch(shape: number[], seed: number): tf.Tensor {
  const rng = createRng(seed, 'bench-train', shape.join('x'));
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => 2 * rng() - 1), shape);
}

/** Child side: one case, one backend, one path. */
async function runChild(job: Job): Promise<Measured> {
  if (job.path) process.env.TIDAL_RECURRENCE = job.path;
  if (job.webgpuStep) process.env.TIDAL_WEBGPU_STEP = job.webgpuStep;
  // The conv/attention/LayerNorm/Dense layers follow the same switch; they have no WGSL path.
  if (job.path === 'native' || job.path === 'ops') process.env.TIDAL_LAYER_KERNELS = job.path;
  await selectBackend(job.backend);
  const MB = 1024 * 1024;
  const baseRssMb = process.memoryUsage().rss / MB;
  let hostArrayBuffersMb = 0;
  const sampleHost = () => {
    hostArrayBuffersMb = Math.max(hostArrayBuffersMb, process.memoryUsage().arrayBuffers / MB);
  };
  const c = BENCH_CASES.find((k) => k.name === job.caseName);
  if (!c) throw new Error(`unknown bench case '${job.caseName}'`);
  const model = job.tiny ? (c.buildSmall ?? c.build)() : c.build();
  const batch = job.batch;
  const x = randomBatch([batch, ...c.inputShape], 1);
  const outShape = (model.outputs[0].shape as (number | null)[]).slice(1).map((d) => d ?? 1);
  const y = randomBatch([batch, ...outShape], 2);
  const { step, lastLoss } = trainingStep(model, x, y);
  let loss = NaN;
  const readLoss = async () => {
    loss = (await lastLoss().data())[0];
  };
  for (let i = 0; i < job.warmup; i++) {
    step();
    await readLoss();
    sampleHost();
  }
  // Per-kernel overhead dominates small models: how many tf kernels one batch dispatches.
  const kernels = (await tf.profile(() => step())).kernels.length;
  await readLoss();
  const gpu = job.backend === 'webgpu' ? (await countWebGpuDispatches(step)).count : undefined;
  if (gpu) await readLoss();
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  let n = 0;
  // Batches are queued back to back; reading the last loss waits for all of them.
  while (n < job.batches && (n === 0 || performance.now() - start < job.seconds * 1000)) {
    step();
    n++;
    // Cheap (no heap walk); on cpu and wasm a batch has finished when step() returns.
    sampleHost();
  }
  await readLoss();
  const secs = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const heap = job.backend === 'wasm' ? (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength : 0;
  const between = tf.memory();
  return {
    seqPerSec: (n * batch) / secs,
    seqPerCpuSec: (n * batch) / ((cpu.user + cpu.system) / 1e6),
    timedBatches: n,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    params: model.countParams(),
    finalLoss: loss,
    kernels,
    memory: {
      baseRssMb, wasmHeapMb: heap / MB, hostArrayBuffersMb,
      tensorsBetweenBatches: between.numTensors, tensorMbBetweenBatches: between.numBytes / MB,
    },
    ...(gpu ? { gpu: { dispatches: gpu.dispatches, submits: gpu.submits, readbacks: gpu.readbacks } } : {}),
  };
}

function memoryColumns(m: MemoryTrace): string[] {
  return [m.baseRssMb.toFixed(0), m.wasmHeapMb ? m.wasmHeapMb.toFixed(0) : '-', m.hostArrayBuffersMb.toFixed(0),
    `${m.tensorsBetweenBatches} (${m.tensorMbBetweenBatches.toFixed(1)})`];
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

interface TorchRun { py: string; device: 'cpu' | 'cuda'; tf32: boolean; small: boolean }
interface TorchMeasured { seqPerSec: number; seqPerCpuSec: number; peakRssMb: number }

function runTorch(t: TorchRun, torchName: string, batch: number, batches: number, seconds: number): TorchMeasured | string {
  const args = [join(HERE, 'train_torch.py'), '--model', torchName, '--batch', String(batch), '--batches', String(batches),
    '--seconds', String(seconds), '--device', t.device, ...(t.tf32 ? ['--tf32'] : []), ...(t.small ? ['--small'] : [])];
  const r = spawnSync(t.py, args, {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
  });
  if (r.status !== 0) return `train_torch.py failed: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`;
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { seq_per_sec: number; seq_per_cpu_sec: number; peak_rss_mb: number };
  return { seqPerSec: out.seq_per_sec, seqPerCpuSec: out.seq_per_cpu_sec, peakRssMb: out.peak_rss_mb };
}

/** null when `backend` loads (logging its adapter), else why not. */
async function probeBackend(backend: BackendName): Promise<string | null> {
  const reply = await runInChild({ caseName: '', backend, path: null, batch: 0, batches: 0, seconds: 0, warmup: 0, tiny: false, webgpuStep: null });
  if (reply.ok && reply.result.adapter) console.log(`${backend} adapter: ${reply.result.adapter}`);
  return reply.ok ? null : reply.error;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      backends: { type: 'string', default: 'cpu,wasm,webgpu,tensorflow' },
      cases: { type: 'string' },
      seconds: { type: 'string', default: '10' },
      batches: { type: 'string', default: '6' },
      'torch-device': { type: 'string', default: 'cpu' },
      tiny: { type: 'boolean', default: false },
      // Sequences a batch on cpu/wasm for the cases with their own (large) batch: a core's
      // sequences/s hardly depends on it, and a kaggle-size batch takes minutes there.
      'cpu-batch': { type: 'string' },
      // Only these paths (webgpu, native, ops) for the fused and native-layer cases; default all.
      paths: { type: 'string' },
      'webgpu-steps': { type: 'string' },
      'cpu-batches': { type: 'string' },
    },
  });
  const webgpuSteps = values['webgpu-steps']?.split(',') ?? null;
  for (const step of webgpuSteps ?? []) {
    if (step !== 'plain' && step !== 'tiled' && step !== 'auto') throw new Error(`--webgpu-steps: 'plain', 'tiled' or 'auto', got '${step}'`);
  }
  const cpuBatches = values['cpu-batches'] === undefined ? null : Number(values['cpu-batches']);
  const onlyPaths = values.paths?.split(',');
  const cpuBatch = values['cpu-batch'] === undefined ? null : Number(values['cpu-batch']);
  const tiny = values.tiny!;
  const torchDevice = values['torch-device'];
  if (torchDevice !== 'cpu' && torchDevice !== 'cuda') throw new Error(`--torch-device must be 'cpu' or 'cuda', got '${torchDevice}'`);
  const seconds = Number(values.seconds);
  const maxBatches = Number(values.batches);
  const wanted = values.cases?.split(',');
  const cases: BenchCase[] = BENCH_CASES.filter((c) => !wanted || wanted.includes(c.name));
  console.log(`bench:train  ${new Date().toISOString()}  ${tiny ? `--tiny: small models, batch ${TINY_BATCH}` : `batch ${BATCH} unless the case sets one`}, MAE, Adam; up to ${maxBatches} timed batches / ${seconds} s a case`);

  const backends: BackendName[] = [];
  for (const b of values.backends!.split(',') as BackendName[]) {
    const why = b === 'cpu' || b === 'wasm' ? null : await probeBackend(b);
    if (why) console.log(`skip backend ${b}: ${why}`);
    else backends.push(b);
  }
  const nativePath = nativeKernelPath();
  const native = nativePath !== 'none';
  console.log(native ? `native kernels: ${nativePath}` : 'native kernels: not built (native rows skipped)');

  const py = findTorchPython();
  if (!py) console.log('PyTorch: python3 cannot import torch, ratios skipped');
  // On the GPU, PyTorch in fp32 with TF32 off (the reference) and with TF32 on.
  const torchRuns: TorchRun[] = !py ? [] : torchDevice === 'cuda'
    ? [{ py, device: 'cuda', tf32: false, small: tiny }, { py, device: 'cuda', tf32: true, small: tiny }]
    : [{ py, device: 'cpu', tf32: false, small: tiny }];
  const torchLabels = torchRuns.map((t) => (t.device === 'cuda' ? `PyTorch cuda ${t.tf32 ? 'TF32' : 'fp32'}` : 'PyTorch cpu 1 thread'));
  const torchNotes = new Set<string>();
  // A GPU is not shared with the other rows' work: PyTorch there is timed once a case.
  const cudaTimes = new Map<string, ReturnType<typeof runTorch>>();

  const rows: string[][] = [];
  for (const backend of backends) {
    for (const c of cases) {
      const onCpu = backend === 'cpu' || backend === 'wasm';
      const batch = tiny ? TINY_BATCH : c.batch && onCpu && cpuBatch ? cpuBatch : c.batch ?? BATCH;
      const opsRow = c.batch || tiny ? [] : (['ops'] as const);
      const nativeRow = native && onCpu ? (['native'] as const) : [];
      // Native layer kernels run only on host-memory backends; elsewhere such a case has one row.
      const paths: (Path | null)[] = c.fusedRecurrence
        ? backend === 'webgpu' ? ['webgpu', ...opsRow] : [...nativeRow, ...opsRow]
        : c.nativeLayers && nativeRow.length ? [...nativeRow, ...opsRow] : [null];
      const rowPaths = paths.filter((p) => !onlyPaths || p === null || onlyPaths.includes(p));
      // The webgpu path once per step setting asked for; every other path once.
      const runs = rowPaths.flatMap((path): { path: Path | null; step: WebGpuStepSetting | null }[] => (path === 'webgpu' && webgpuSteps
        ? webgpuSteps.map((step) => ({ path, step: step as WebGpuStepSetting }))
        : [{ path, step: null }]));
      for (const { path, step } of runs) {
        const pathLabel = step ? `${path}-${step}` : path ?? '-';
        // On the CPU, PyTorch right before and right after each row, so both sides see the same
        // load on a shared machine; the faster PyTorch figure is kept (the ratio errs low, not high).
        const torchBatch = tiny ? TINY_BATCH : c.batch ?? BATCH;
        const torchOnce = (t: TorchRun) => {
          if (!c.torchName) return null;
          const key = `${c.name} ${t.tf32}`;
          if (t.device === 'cuda' && cudaTimes.has(key)) return cudaTimes.get(key)!;
          const r = runTorch(t, c.torchName, torchBatch, maxBatches, seconds);
          if (t.device === 'cuda') cudaTimes.set(key, r);
          return r;
        };
        const before = torchRuns.map((t) => (tiny || t.device === 'cuda' ? null : torchOnce(t)));
        const batches = Math.min(onCpu && cpuBatches ? cpuBatches : maxBatches, c.batches ?? maxBatches);
        const reply = await runInChild({
          caseName: c.name, backend, path, batch, batches, seconds, warmup: tiny || (c.batches && c.batches < 4) ? 1 : 2, tiny, webgpuStep: step,
        });
        const refs = torchRuns.map((t, i) => {
          const all = [before[i], torchOnce(t)].filter((r) => r !== null);
          for (const r of all) if (typeof r === 'string') torchNotes.add(`${torchLabels[i]} ${c.torchName}: ${r}`);
          const ok = all.filter((r): r is TorchMeasured => typeof r !== 'string');
          return ok.length === 0 ? null : {
            seqPerSec: Math.max(...ok.map((r) => r.seqPerSec)),
            seqPerCpuSec: Math.max(...ok.map((r) => r.seqPerCpuSec)),
          };
        });
        const kaggleEpoch = c.name.startsWith('kaggle-') && reply.ok ? (KAGGLE_EPOCH_BREATHS / reply.result.seqPerSec).toFixed(0) : '-';
        const gpu = reply.ok && reply.result.gpu ? `${reply.result.gpu.dispatches} / ${reply.result.gpu.submits} / ${reply.result.gpu.readbacks}` : '-';
        const row = reply.ok
          ? [c.name, String(batch), backend, pathLabel, reply.result.seqPerSec.toFixed(1), reply.result.peakRssMb.toFixed(0),
            String(reply.result.timedBatches), String(reply.result.kernels), gpu,
            ...refs.flatMap((r) => [r ? r.seqPerSec.toFixed(0) : '-', r ? (reply.result.seqPerSec / r.seqPerSec).toFixed(3) : '-']),
            kaggleEpoch, reply.result.seqPerCpuSec.toFixed(1),
            ...refs.flatMap((r) => [r ? r.seqPerCpuSec.toFixed(0) : '-', r ? (reply.result.seqPerCpuSec / r.seqPerCpuSec).toFixed(3) : '-']),
            ...memoryColumns(reply.result.memory)]
          : [c.name, String(batch), backend, pathLabel, `error: ${reply.error}`, '', '', '', '', ...torchRuns.flatMap(() => ['', '']), '',
            '', ...torchRuns.flatMap(() => ['', '']), '', '', '', ''];
        rows.push(row);
        console.log(row.join('\t'));
      }
    }
  }
  const header = ['case', 'batch', 'backend', 'path', 'seq/s', 'peak RSS MB', 'timed batches', 'tf kernels a batch', 'GPU dispatches / submits / read-backs a batch',
    ...torchLabels.flatMap((l) => [`${l} seq/s`, `ours / ${l}`]), `kaggle epoch s (${KAGGLE_EPOCH_BREATHS} breaths)`,
    'seq/CPU-s', ...torchLabels.flatMap((l) => [`${l} seq/CPU-s`, `ours / ${l} (CPU)`]),
    'RSS before model MB', 'wasm heap MB', 'host ArrayBuffers MB', 'tensors between batches (MB)'];
  console.log(`\n| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  for (const note of torchNotes) console.log(note);
  // The issue's other ratio: the WGSL path against one core with the native kernels.
  for (const c of cases) {
    const seqPerSec = (backend: string, path: string) => Number(rows.find((r) => r[0] === c.name && r[2] === backend && r[3] === path)?.[4]);
    const oneCore = seqPerSec('wasm', 'native');
    for (const label of webgpuSteps ? webgpuSteps.map((step) => `webgpu-${step}`) : ['webgpu']) {
      const ratio = seqPerSec('webgpu', label) / oneCore;
      if (Number.isFinite(ratio)) console.log(`${c.name}: webgpu (WGSL${label === 'webgpu' ? '' : `, ${label.slice(7)} steps`}) / wasm one core (native) = ${ratio.toFixed(2)}x`);
    }
  }
}

if (process.argv[2] === '--child') {
  const job = JSON.parse(process.argv[3]) as Job;
  const reply: ChildReply = await (job.caseName === ''
    ? selectBackend(job.backend).then((choice) => ({
      ok: true as const, result: {
        seqPerSec: 0, seqPerCpuSec: 0, timedBatches: 0, peakRssMb: 0, params: 0, finalLoss: 0, kernels: 0, adapter: choice.adapter,
        memory: { baseRssMb: 0, wasmHeapMb: 0, hostArrayBuffersMb: 0, tensorsBetweenBatches: 0, tensorMbBetweenBatches: 0 },
      },
    }))
    : runChild(job).then((result) => ({ ok: true as const, result })))
    .catch((err: Error) => ({ ok: false as const, error: err.message.split('\n')[0] }));
  process.send!(reply);
  process.disconnect();
} else {
  await main();
}
