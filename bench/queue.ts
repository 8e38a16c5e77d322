/**
 * `npm run bench:queue`: what training through the BullMQ queue costs against the local pool, on a
 * redis-server started here on a free loopback port (worker processes on this machine stand for
 * machines).
 *
 *   1. the queue's own cost a job: 50 jobs whose done.json is already written go through
 *      runJobsOnQueue and one worker (enqueue, pick up, key check, complete, event), with no
 *      training: the training process itself is the same code, forked the same way, as locally.
 *   2. the same end to end: 8 one-epoch jobs (smoke models, 4 folds) with the local pool
 *      (--jobs 1) and with one worker; (queue - local) / 8, noisy on a loaded machine.
 *   3. the smoke preset's train stage and whole run with 1 and with 2 workers.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPreset } from '../pipeline/presets.ts';
import { createProgress } from '../pipeline/progress.ts';
import { runJobsOnQueue } from '../pipeline/queue/index.ts';
import type { TrainJobSpec } from '../pipeline/train-job.ts';

const cli = join(import.meta.dirname, '../bin/tidal.js');
const dir = mkdtempSync(join(tmpdir(), 'tidal-bench-queue-'));
const children: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitListening(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not listen on ${port}`);
}

function startWorkers(url: string, n: number): ChildProcess[] {
  return Array.from({ length: n }, () => {
    const child = spawn(process.execPath, [cli, 'worker', '--queue', url, '--backend', 'wasm'], { stdio: 'ignore', detached: true });
    children.push(child);
    return child;
  });
}

function stop(list: ChildProcess[]): void {
  for (const child of list) if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
}

/** Runs the pipeline; returns the train stage's and the whole command's seconds. */
function run(configPath: string, out: string, extra: string[]): { train: number; wall: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [cli, 'run', '--config', configPath, '--out', out, ...extra], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tidal run ${extra.join(' ')} failed:\n${r.stderr}${r.stdout}`);
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  return { train: manifest.stages.train.seconds as number, wall: (Date.now() - t0) / 1000 };
}

/** Jobs that are already done: a worker checks their key and returns at once. */
function doneJobs(n: number) {
  const data = join(dir, 'round-trip');
  mkdirSync(data, { recursive: true });
  mkdirSync(join(data, 'cache'), { recursive: true });
  for (const file of ['cache/train.arrow', 'cache/test.arrow', 'folds.csv']) writeFileSync(join(data, file), file);
  return Array.from({ length: n }, (_, i) => {
    const jobDir = join(data, 'jobs', 'noop', `fold-${i}`);
    const key = `round-trip-${i}`;
    mkdirSync(jobDir, { recursive: true });
    writeFileSync(join(jobDir, 'done.json'), JSON.stringify({ key, bestEpoch: 1, bestValidMae: 1, epochsRun: 1, seconds: 0 }));
    const spec: TrainJobSpec = {
      key,
      runDir: data,
      modelId: 'noop',
      modelName: 'bilstm',
      config: {},
      recipe: { epochs: 1 },
      trainFeatures: 'train.arrow',
      testFeatures: 'test.arrow',
      fold: i,
      scaler: 'robust',
      seed: i,
      backend: 'wasm',
      kernels: { recurrence: 'ops', layers: 'ops' },
    };
    return { label: `noop fold ${i}`, epochs: 1, spec };
  });
}

function writeConfig(name: string, config: object): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

if (spawnSync('redis-server', ['--version']).status !== 0) {
  console.error('bench:queue needs redis-server (apt-get install redis-server)');
  process.exit(1);
}
const port = await freePort();
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
try {
  await waitListening(port);
  const url = `redis://127.0.0.1:${port}`;
  const smoke = loadPreset('smoke') as Record<string, unknown>;
  console.log(`bench:queue ${new Date().toISOString()} redis-server on ${url}`);

  const roundTrips = 50;
  let workers = startWorkers(url, 1);
  // The first job waits for the worker to start; time the rest.
  const quiet = createProgress(1, { tty: false, log: () => {} });
  await runJobsOnQueue(doneJobs(1), { url, runDir: join(dir, 'round-trip') }, quiet);
  const t0 = Date.now();
  await runJobsOnQueue(doneJobs(roundTrips + 1).slice(1), { url, runDir: join(dir, 'round-trip') }, createProgress(roundTrips, { tty: false, log: () => {} }));
  const roundTrip = (Date.now() - t0) / 1000 / roundTrips;
  stop(workers);
  console.log(`queue round trip (enqueue, pick up, key check, complete, event), ${roundTrips} jobs one after another: ${(roundTrip * 1000).toFixed(0)} ms a job (target < 1 s)`);

  const overheadConfig = writeConfig('overhead', { ...smoke, name: 'overhead', folds: { k: 4, stratified: true }, recipe: { epochs: 1, batchSize: 16, lr: 0.01 } });
  const jobs = 8;
  const local = run(overheadConfig, join(dir, 'overhead-local'), ['--jobs', '1']);
  workers = startWorkers(url, 1);
  const queued = run(overheadConfig, join(dir, 'overhead-queue'), ['--queue', url]);
  stop(workers);
  const perJob = (queued.train - local.train) / jobs;
  console.log(`${jobs} one-epoch jobs, train stage: local pool ${local.train.toFixed(1)} s, queue with 1 worker ${queued.train.toFixed(1)} s`);
  console.log(`end to end, queue minus local: ${perJob.toFixed(2)} s a job`);

  const smokeConfig = writeConfig('smoke', smoke);
  const results: Record<string, { train: number; wall: number }> = {};
  results.local = run(smokeConfig, join(dir, 'smoke-local'), ['--jobs', '1']);
  for (const n of [1, 2]) {
    workers = startWorkers(url, n);
    results[`${n} worker(s)`] = run(smokeConfig, join(dir, `smoke-${n}`), ['--queue', url]);
    stop(workers);
  }
  for (const [name, r] of Object.entries(results)) console.log(`smoke preset, ${name.padEnd(11)}: train stage ${r.train.toFixed(1)} s, whole run ${r.wall.toFixed(1)} s`);
  const same = ['smoke-1', 'smoke-2'].every((d) => readFileSync(join(dir, d, 'submission.csv')).equals(readFileSync(join(dir, 'smoke-local', 'submission.csv'))));
  console.log(`same submission bytes as the local run with 1 and 2 workers: ${same}`);
} finally {
  stop(children);
  redis.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
