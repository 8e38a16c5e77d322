/**
 * Training on the BullMQ queue against a real redis-server on a free loopback port: worker
 * processes on this machine stand for machines. A worker killed mid-job and a coordinator killed
 * and restarted still end with the submission bytes of a local run; a job that fails is retried and
 * reported without taking its worker down; a worker that cannot make the same bytes refuses jobs;
 * an unreachable Redis is a clear error; the password never shows.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { mapRunsRoot, queueJobId, redactRedisUrl } from '../../pipeline/queue/index.ts';
import type { TrainJobSpec } from '../../pipeline/train-job.ts';
import { freePort, hasRedis, listening, redisSkip } from './redis-server.ts';

const CLI = join(import.meta.dirname, '../../bin/tidal.js');
const PASSWORD = 's3cret-pw';
const skip = redisSkip;
const root = mkdtempSync(join(tmpdir(), 'tidal-queue-'));
const started: ChildProcess[] = [];



interface Proc {
  child: ChildProcess;
  output(): string;
  /** Resolves once the output matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
  /** SIGKILL to the process and its training children (its own process group). */
  kill(): void;
}

function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1', ...env } });
  started.push(child);
  let out = '';
  const waiters: (() => void)[] = [];
  const append = (chunk: Buffer) => {
    out += chunk.toString();
    waiters.forEach((w) => w());
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    waitFor(pattern, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}:\n${out}`)), timeoutMs);
        const check = () => {
          if (pattern.test(out)) {
            clearTimeout(timer);
            resolve();
          }
        };
        waiters.push(check);
        check();
      });
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    },
  };
}

const tidal = (args: string[], env: NodeJS.ProcessEnv = {}) => startProcess(process.execPath, [CLI, ...args], env);

let url = '';
let redis: { proc: Proc; port: number; dir: string } | null = null;

/** redis-server without persistence, so a restart loses the queue (the harder case). */
async function startRedis(port: number, dir: string): Promise<void> {
  const proc = startProcess('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--requirepass', PASSWORD]);
  for (let i = 0; i < 100 && !(await listening(port)); i++) await new Promise((r) => setTimeout(r, 50));
  redis = { proc, port, dir };
}

before(async () => {
  if (!hasRedis) return;
  const port = await freePort();
  await startRedis(port, mkdtempSync(join(root, 'redis-')));
  url = `redis://:${PASSWORD}@127.0.0.1:${port}/0`;
});

after(async () => {
  for (const child of started.reverse()) {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  }
  rmSync(root, { recursive: true, force: true });
});

test('redactRedisUrl hides the password and keeps the rest', () => {
  assert.equal(redactRedisUrl('redis://:pw@host:6379/2'), 'redis://:***@host:6379/2');
  assert.equal(redactRedisUrl('rediss://user:pw@host:6380'), 'rediss://user:***@host:6380');
  assert.equal(redactRedisUrl('redis://host:6379'), 'redis://host:6379');
  // Not a URL at all: what sits before an @ is still hidden.
  assert.equal(redactRedisUrl('redis//:pw@host'), 'redis//***@host');
});

const kaggleSpec: TrainJobSpec = {
  key: 'k1',
  runDir: '/data/runs/kaggle',
  modelId: 'bilstm',
  modelName: 'bilstm',
  config: {},
  recipe: { epochs: 2 },
  trainFeatures: 'features-train-public.arrow',
  testFeatures: 'features-test-public.arrow',
  fold: 3,
  scaler: 'robust',
  seed: 1,
  backend: 'wasm',
  kernels: { recurrence: 'native-avx2-fma', layers: 'native-avx2-fma' },
};

test('--runs-root moves a job\'s run folder to where this machine mounts it', () => {
  assert.equal(mapRunsRoot(kaggleSpec, '/data/runs/kaggle', undefined), kaggleSpec);
  const mapped = mapRunsRoot(kaggleSpec, '/data/runs/kaggle', '/mnt/runs');
  assert.equal(mapped.runDir, '/mnt/runs/kaggle');
  assert.deepEqual({ ...mapped, runDir: kaggleSpec.runDir }, kaggleSpec);
});

test('a job\'s queue id is the same for the same job and run folder, and differs for another', () => {
  assert.equal(queueJobId(kaggleSpec), queueJobId({ ...kaggleSpec }));
  assert.match(queueJobId(kaggleSpec), /^bilstm-fold3-[0-9a-f]{16}$/);
  assert.notEqual(queueJobId(kaggleSpec), queueJobId({ ...kaggleSpec, runDir: '/data/runs/other' }));
  assert.notEqual(queueJobId(kaggleSpec), queueJobId({ ...kaggleSpec, key: 'k2' }));
});

test('an unreachable Redis stops the worker and the run at once, naming the URL without its password', async () => {
  const port = await freePort();
  const dead = `redis://:${PASSWORD}@127.0.0.1:${port}`;
  const out = join(root, 'unreachable');
  const procs = [tidal(['worker', '--queue', dead]), tidal(['run', '--preset', 'smoke', '--out', out, '--queue', dead])];
  for (const proc of procs) {
    assert.equal(await proc.exited, 1, proc.output());
    assert.match(proc.output(), new RegExp(`cannot reach Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`));
    assert.doesNotMatch(proc.output(), new RegExp(PASSWORD));
  }
  assert.ok(!existsSync(join(out, 'jobs')), 'no stage ran before the queue was checked');
});

/** The smoke preset cut to one model on fewer breaths, to keep the test short: 2 jobs of 3 epochs. */
function tinyConfig(): string {
  const smoke = JSON.parse(readFileSync(join(import.meta.dirname, '../../pipeline/presets/smoke.json'), 'utf8')) as Record<string, unknown>;
  const path = join(root, 'tiny.json');
  writeFileSync(path, JSON.stringify({ ...smoke, name: 'tiny', input: { kind: 'simulate', breaths: 160, testBreaths: 80 }, models: [{ name: 'bilstm', size: 'small' }] }));
  return path;
}

test('a worker SIGKILLed mid-job and a restarted coordinator still give the local run\'s submission bytes', { skip }, async () => {
  const config = tinyConfig();
  const local = tidal(['run', '--config', config, '--out', join(root, 'local')]);
  assert.equal(await local.exited, 0, local.output());

  const out = join(root, 'queued');
  const run = ['run', '--config', config, '--out', out, '--queue', url];
  // Short locks: a dead worker's job is back on the queue within seconds.
  const worker = ['worker', '--queue', url, '--lock-duration', '2000'];
  const first = tidal(worker);
  const coordinator = tidal(run);
  // The first job's first epoch is saved: kill the worker (and its training process) and the coordinator.
  await first.waitFor(/bilstm fold 0: epoch 1\/3/);
  first.kill();
  coordinator.kill();
  await Promise.all([first.exited, coordinator.exited]);

  // The new coordinator finds its jobs before any worker looks for stalled ones.
  const restarted = tidal(run);
  await restarted.waitFor(/bilstm fold 1: already on the queue/);
  const second = tidal(worker);
  assert.equal(await restarted.exited, 0, restarted.output());
  second.kill();
  const log = restarted.output();
  assert.match(log, /bilstm fold 0: already on the queue \(active on [^)]+\); re-attached/);
  assert.match(log, /bilstm fold 0: its worker on \S+ stopped renewing the job's lock/);
  // The second worker resumed the killed job after its saved epoch, and trained each job once.
  const trained = second.output();
  assert.match(trained, /bilstm fold 0: training \(attempt 1\)\nbilstm fold 0: epoch 2\/3/);
  for (const label of ['bilstm fold 0', 'bilstm fold 1']) {
    assert.equal((trained.match(new RegExp(`^${label}: best MAE`, 'gm')) ?? []).length, 1, `${label} trained once:\n${trained}`);
  }
  assert.deepEqual(readFileSync(join(out, 'submission.csv')), readFileSync(join(root, 'local', 'submission.csv')));
  for (const text of [log, first.output(), trained, readFileSync(join(out, 'log.txt'), 'utf8'), readFileSync(join(out, 'manifest.json'), 'utf8')]) {
    assert.doesNotMatch(text, new RegExp(PASSWORD));
  }
  assert.match(readFileSync(join(out, 'log.txt'), 'utf8'), /on the queue redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0/);
});

test('a failing job is retried, reported by the coordinator, and leaves its worker running; a mismatched worker refuses', { skip }, async () => {
  // A valid config; the worker's training processes inherit a setting they refuse when they start.
  const config = join(root, 'broken.json');
  writeFileSync(
    config,
    JSON.stringify({
      name: 'broken',
      seed: 42,
      input: { kind: 'simulate', breaths: 160, testBreaths: 80 },
      folds: { k: 2, stratified: true },
      models: [{ name: 'bilstm', size: 'small' }],
      recipe: { epochs: 1, batchSize: 16, lr: 0.01 },
    }),
  );
  const out = join(root, 'broken');
  const worker = tidal(['worker', '--queue', url, '--lock-duration', '2000'], { TIDAL_LAYER_KERNELS: 'bogus' });
  const run = tidal(['run', '--config', config, '--out', out, '--queue', url, '--attempts', '2']);
  assert.equal(await run.exited, 1, run.output());
  const refused = "TIDAL_LAYER_KERNELS must be 'ops', 'native' or 'auto', got 'bogus'";
  assert.match(run.output(), new RegExp(`bilstm fold \\d: attempt 1 of 2 failed on \\S+: ${refused}; retrying`));
  assert.match(run.output(), new RegExp(`tidal: bilstm fold \\d failed on \\S+ after 2 of 2 attempt\\(s\\): ${refused}`));
  assert.equal(worker.child.exitCode, null, 'the worker is still running');
  assert.match(worker.output(), /bilstm fold \d failed: /);
  worker.kill();

  // A worker on another backend would not make the same bytes: it refuses, without retries.
  const wanted = (JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { backend: string }).backend;
  const other = wanted === 'cpu' ? 'wasm' : 'cpu';
  const cpuWorker = tidal(['worker', '--queue', url, '--lock-duration', '2000', '--backend', other]);
  const again = tidal(['run', '--config', config, '--out', out, '--queue', url, '--attempts', '2']);
  assert.equal(await again.exited, 1, again.output());
  assert.match(again.output(), new RegExp(`bilstm fold \\d failed on \\S+ after 1 of 2 attempt\\(s\\): \\S+ refuses bilstm fold \\d: backend ${other} here, ${wanted} wanted \\(start the worker with --backend ${wanted}\\)`));
  assert.equal(cpuWorker.child.exitCode, null);
  cpuWorker.kill();
});

test('Redis restarted mid-run without its data: workers and coordinator reconnect and the run ends with the local bytes', { skip }, async () => {
  const config = tinyConfig();
  const local = join(root, 'local');
  if (!existsSync(join(local, 'submission.csv'))) {
    const run = tidal(['run', '--config', config, '--out', local]);
    assert.equal(await run.exited, 0, run.output());
  }
  const out = join(root, 'redis-restart');
  const worker = tidal(['worker', '--queue', url, '--lock-duration', '2000']);
  const coordinator = tidal(['run', '--config', config, '--out', out, '--queue', url]);
  await worker.waitFor(/bilstm fold 0: epoch 1\/3/);
  const { proc, port, dir } = redis!;
  proc.kill();
  await proc.exited;
  await startRedis(port, dir);
  assert.equal(await coordinator.exited, 0, coordinator.output());
  assert.match(coordinator.output(), /missing from the queue \(Redis restarted without its data\?\); enqueued again/);
  assert.deepEqual(readFileSync(join(out, 'submission.csv')), readFileSync(join(local, 'submission.csv')));
  assert.equal(worker.child.exitCode, null, 'the worker is still running');
  worker.kill();
});
