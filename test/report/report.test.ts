/**
 * The HTML report of a real smoke run (through the real CLI), opened from file:// in Debian's
 * headless chromium: it loads with no console error and no network request, every chart draws
 * marks, and the summary shows manifest.json's numbers. Then `tidal report` rewrites the same
 * bytes and `tidal compare` sets the run against one with another seed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { buildHtmlReport, readRunArtifacts } from '../../report/index.ts';
import { chromiumMissing, countMarks, launchChromium, openReport } from './browser.ts';

const CLI = join(import.meta.dirname, '../../bin/tidal.js');
const root = mkdtempSync(join(tmpdir(), 'tidal-report-'));
const runDir = join(root, 'smoke');
const reportPath = join(runDir, 'report.html');
let browser: Browser | undefined;
let runStdout = '';

function tidal(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function readJson(path: string) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** (R, C) pairs present among the train breaths, read from the run's train.csv. */
function rcPairsInTrain(): Set<string> {
  const lines = readFileSync(join(runDir, 'input', 'train.csv'), 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  const [r, c] = [header.indexOf('R'), header.indexOf('C')];
  return new Set(lines.slice(1).map((l) => {
    const cells = l.split(',');
    return `${cells[r]}_${cells[c]}`;
  }));
}

before(async () => {
  const r = tidal(['run', '--preset', 'smoke', '--out', runDir]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  runStdout = r.stdout;
  if (!chromiumMissing) browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

test('tidal run ends by linking report.html, one file that fetches nothing', () => {
  assert.ok(runStdout.trimEnd().endsWith(`report: ${pathToFileURL(reportPath).href}`), runStdout);
  const html = readFileSync(reportPath, 'utf8');
  assert.doesNotMatch(html, /<script[^>]+src=/i);
  assert.doesNotMatch(html, /<link[^>]+href="(?!data:)/i);
});

test('the report loads from file:// with no console error and every chart draws its marks', { skip: chromiumMissing }, async () => {
  const { page, errors, requests } = await openReport(browser!, reportPath);
  assert.deepEqual(errors, []);
  assert.deepEqual(requests, []);
  const marks = await countMarks(page);
  const charts = await page.$$eval('.chart', (divs) => divs.map((d) => d.id));
  assert.deepEqual(Object.keys(marks).sort(), [...charts].sort());
  assert.equal(charts.length, 5);
  for (const id of charts) {
    const total = Object.values(marks[id]).reduce((a, b) => a + b, 0);
    assert.ok(total > 0, `${id} drew no marks: ${JSON.stringify(marks[id])}`);
    assert.ok((await page.$$(`#${id} svg`)).length === 1, `${id} has no SVG`);
  }
  const config = readJson(join(runDir, 'config.json'));
  const pairs = rcPairsInTrain().size;
  const series = config.models.length + 1;
  // A cell (and its label) per (R, C) pair and series: every model and the blend.
  assert.equal(marks['chart-rc-heatmap'].rect, pairs * series);
  assert.equal(marks['chart-rc-heatmap'].text, pairs * series);
  // The kept epoch of each (model, fold) job is marked on both of its curves.
  assert.equal(marks['chart-training-curves'].rule, config.models.length * config.folds.k * 2);
  // Three example breaths a pair, each with its expiratory part shaded.
  assert.equal(marks['chart-example-breaths'].rect, 3 * pairs);
  await page.close();
});

test("the report's summary shows manifest.json's numbers", { skip: chromiumMissing }, async () => {
  const manifest = readJson(join(runDir, 'manifest.json'));
  const config = readJson(join(runDir, 'config.json'));
  const { page } = await openReport(browser!, reportPath);
  const cells = await page.$$eval('[data-metric]', (els) => els.map((e) => ({ path: e.getAttribute('data-metric')!, value: e.getAttribute('data-value')!, text: e.textContent!.trim() })));
  await page.close();
  const shown = new Map(cells.map((c) => [c.path, c]));
  const expected: [string, number, string][] = [];
  manifest.metrics.models.forEach((m: { oofMae: number; folds: { validMae: number; bestEpoch: number }[] }, i: number) => {
    expected.push([`metrics.models.${i}.oofMae`, m.oofMae, m.oofMae.toFixed(4)]);
    m.folds.forEach((f, j) => {
      expected.push([`metrics.models.${i}.folds.${j}.validMae`, f.validMae, f.validMae.toFixed(4)]);
      expected.push([`metrics.models.${i}.folds.${j}.bestEpoch`, f.bestEpoch, String(f.bestEpoch)]);
    });
  });
  const { blendOofMae, inversionCoverage, testMae, baselineTestMae } = manifest.metrics;
  expected.push(['metrics.blendOofMae', blendOofMae, blendOofMae.toFixed(4)]);
  expected.push(['metrics.inversionCoverage', inversionCoverage, `${(100 * inversionCoverage).toFixed(1)}%`]);
  expected.push(['metrics.testMae', testMae, testMae.toFixed(4)]);
  expected.push(['metrics.baselineTestMae', baselineTestMae, baselineTestMae.toFixed(4)]);
  const { blendTestMae, modelContributions } = manifest.metrics;
  expected.push(['metrics.blendTestMae', blendTestMae, blendTestMae.toFixed(4)]);
  // The smoke preset blends two models: the blend without each.
  assert.equal(modelContributions.length, config.models.length);
  modelContributions.forEach((c: { blendOofMaeWithout: number; cost: number }, i: number) => {
    expected.push([`metrics.modelContributions.${i}.blendOofMaeWithout`, c.blendOofMaeWithout, c.blendOofMaeWithout.toFixed(4)]);
    expected.push([`metrics.modelContributions.${i}.cost`, c.cost, `${c.cost >= 0 ? '+' : ''}${c.cost.toFixed(4)}`]);
  });
  assert.equal(shown.size, expected.length, `shown: ${[...shown.keys()].join(', ')}`);
  for (const [path, value, text] of expected) {
    const cell = shown.get(path);
    assert.ok(cell, `${path} is not in the summary`);
    assert.equal(Number(cell.value), value, path);
    assert.equal(cell.text, text, path);
  }
});

test('tidal report --run rewrites the same bytes from the run folder', () => {
  const before = readFileSync(reportPath);
  const r = tidal(['report', '--run', runDir]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), `report: ${pathToFileURL(reportPath).href}`);
  assert.deepEqual(readFileSync(reportPath), before);
});

test('a run folder without blend/oof.arrow and histories (older runs) still reports: the blend is refitted the same', async () => {
  const older = join(root, 'older');
  cpSync(runDir, older, { recursive: true });
  rmSync(join(older, 'blend'), { recursive: true });
  const config = readJson(join(runDir, 'config.json'));
  for (const model of config.models) for (let k = 0; k < config.folds.k; k++) rmSync(join(older, 'jobs', model.id ?? model.name, `fold-${k}`, 'history.json'));
  const [saved, refitted] = [await readRunArtifacts(runDir), await readRunArtifacts(older)];
  assert.deepEqual(refitted.blendOof, saved.blendOof);
  const html = buildHtmlReport(refitted);
  assert.ok(!html.includes('chart-training-curves'));
  assert.match(html, /kept no per-epoch history/);
  assert.ok(html.includes('id="chart-rc-heatmap"'));
});

test('tidal report names what is missing in a folder that is not a finished run', () => {
  const r = tidal(['report', '--run', join(root, 'nothing-here')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /nothing-here\/manifest\.json is missing/);
});

test('tidal compare sets two runs side by side with their differences and the changed setting', async () => {
  const other = join(root, 'seed-7');
  const run = tidal(['run', '--preset', 'smoke', '--out', other, '--seed', '7']);
  assert.equal(run.status, 0, run.stderr);
  const page = join(root, 'compare.html');
  const r = tidal(['compare', runDir, other, '--html', page]);
  assert.equal(r.status, 0, r.stderr);
  const [a, b] = [readJson(join(runDir, 'manifest.json')).metrics, readJson(join(other, 'manifest.json')).metrics];
  const line = (metric: string) => r.stdout.split('\n').find((l) => l.startsWith(metric))?.trim().split(/\s+/);
  const blend = line('OOF MAE blend')!;
  assert.deepEqual(blend.slice(3, 6), [a.blendOofMae.toFixed(4), b.blendOofMae.toFixed(4), `${b.blendOofMae - a.blendOofMae >= 0 ? '+' : ''}${(b.blendOofMae - a.blendOofMae).toFixed(4)}`]);
  const testRow = line('test MAE')!;
  assert.deepEqual(testRow.slice(2, 4), [a.testMae.toFixed(4), b.testMae.toFixed(4)]);
  assert.match(r.stdout, /config settings that differ:\nsetting\s+smoke\s+seed-7\nseed\s+42\s+7/);
  assert.ok(r.stdout.includes(`compare: ${pathToFileURL(page).href}`));
  if (chromiumMissing) return;
  const opened = await openReport(browser!, page);
  assert.deepEqual(opened.errors, []);
  assert.deepEqual(opened.requests, []);
  const marks = await countMarks(opened.page);
  // A bar per run and error metric: each model's OOF MAE, the blend's, the test and baseline MAE.
  assert.equal(marks['chart-errors'].rect, 2 * (a.models.length + 3));
  await opened.page.close();
});
