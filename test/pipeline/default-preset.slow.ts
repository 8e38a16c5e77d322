/**
 * What `npm start` promises: the default preset finishes and its submission beats the
 * per-(R, C, time-step) baseline on the simulated test answers by at least 10x.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

test('the default preset beats the baseline by 10x on simulated test answers', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'tidal-default-')), 'run');
  const r = spawnSync(process.execPath, [join(import.meta.dirname, '../../bin/tidal.js'), 'run', '--preset', 'default', '--out', out], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  assert.equal(r.status, 0, r.stdout);
  const { metrics } = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  console.log(`default preset: test MAE ${metrics.testMae}, baseline ${metrics.baselineTestMae}`);
  assert.ok(metrics.baselineTestMae / metrics.testMae >= 10, `only ${(metrics.baselineTestMae / metrics.testMae).toFixed(1)}x better`);
});
