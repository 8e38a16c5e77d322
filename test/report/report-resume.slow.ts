/**
 * The report of a run killed (SIGKILL, mid-training) and resumed equals the report of an
 * uninterrupted run of the same config in the same folder, apart from the elements marked
 * data-timing (stage and job wall times). A slow test: two smoke runs, one of them twice.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runAndKillAt, tidal } from '../pipeline/cli-runs.ts';



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
