/**
 * The report of a run killed (SIGKILL, mid-training) and resumed equals the report of an
 * uninterrupted run of the same config in the same folder, apart from the elements marked
 * data-timing (stage and job wall times). A slow test: two smoke runs, one of them twice.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const CLI = join(import.meta.dirname, '../../bin/tidal.js');

function tidal(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts a run and SIGKILLs its process group once `line` has been printed. */
function runAndKillAt(args: string[], line: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } });
    let out = '';
    let killed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!killed && line.test(out)) {
        killed = true;
        process.kill(-child.pid!, 'SIGKILL');
      }
    });
    child.on('exit', () => (killed ? resolve() : reject(new Error(`the run ended before '${line}':\n${out}`))));
  });
}

/** The page without its data-timing elements (none of them nests an element of its own tag). */
function withoutTimings(html: string): string {
  return html.replace(/<(\w+)\b[^>]*\bdata-timing\b[^>]*>[\s\S]*?<\/\1>/g, '');
}

test('the report of a killed and resumed run equals an uninterrupted run\'s apart from timings', async () => {
  const runDir = join(mkdtempSync(join(tmpdir(), 'tidal-report-resume-')), 'smoke');
  const first = tidal(['run', '--preset', 'smoke', '--out', runDir]);
  assert.equal(first.status, 0, first.stderr + first.stdout);
  const uninterrupted = readFileSync(join(runDir, 'report.html'), 'utf8');
  rmSync(runDir, { recursive: true });

  // Killed after the first epoch of the second job: one job done, one resumed from its state.
  await runAndKillAt(['run', '--preset', 'smoke', '--out', runDir], /bilstm fold 1: 1\/\d+/);
  assert.ok(!existsSync(join(runDir, 'report.html')));
  const resumed = tidal(['run', '--preset', 'smoke', '--out', runDir]);
  assert.equal(resumed.status, 0, resumed.stderr + resumed.stdout);
  assert.match(resumed.stdout, /train: 3 of 4 \(model, fold\) jobs to run/);
  const report = readFileSync(join(runDir, 'report.html'), 'utf8');

  assert.match(uninterrupted, /data-timing/);
  assert.notEqual(withoutTimings(uninterrupted).length, uninterrupted.length);
  assert.equal(withoutTimings(report), withoutTimings(uninterrupted));
});
