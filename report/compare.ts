/**
 * `tidal compare`: the metrics of several finished runs side by side, each against the first
 * (the baseline run), with the config settings that differ, so a user can tell what a changed
 * feature, model or recipe bought. Reads only manifest.json and config.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { chartDiv, escapeHtml, renderPage } from './html-page.ts';
import { readRunManifest, type ReportManifest } from './run-artifacts.ts';

export interface ComparedRun {
  label: string;
  runDir: string;
  manifest: ReportManifest;
  config: Record<string, unknown>;
}

export interface MetricRow {
  metric: string;
  /** Lower is better (errors); false for coverage; null when it is neither (times). */
  lowerIsBetter: boolean | null;
  /** One value per run, null where the run lacks it. */
  values: (number | null)[];
  /** Decimals shown. */
  digits: number;
}

export interface ConfigDifference {
  path: string;
  /** The setting's JSON per run ('-' when absent). */
  values: string[];
}

export interface Comparison {
  runs: ComparedRun[];
  metrics: MetricRow[];
  config: ConfigDifference[];
}

export function readComparedRuns(runDirs: string[]): ComparedRun[] {
  if (runDirs.length < 2) throw new Error(`compare needs at least two run folders, got ${runDirs.length}`);
  const names = runDirs.map((d) => basename(resolve(d)));
  return runDirs.map((dir, i) => {
    const configPath = join(dir, 'config.json');
    if (!existsSync(configPath)) throw new Error(`${configPath} is missing: ${dir} is not a run folder`);
    const unique = names.filter((n) => n === names[i]).length === 1;
    return {
      label: unique ? names[i] : dir,
      runDir: resolve(dir),
      manifest: readRunManifest(dir).manifest,
      config: JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>,
    };
  });
}

/** Leaf settings as path -> JSON text (arrays are leaves: a changed model list is one difference). */
function flatten(value: unknown, path: string, out: Map<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) flatten(child, path ? `${path}.${key}` : key, out);
  } else {
    out.set(path, JSON.stringify(value));
  }
}

export function compareRuns(runs: ComparedRun[]): Comparison {
  const metrics: MetricRow[] = [];
  const add = (metric: string, lowerIsBetter: boolean | null, digits: number, pick: (m: ReportManifest) => number | null | undefined) =>
    metrics.push({ metric, lowerIsBetter, digits, values: runs.map((r) => pick(r.manifest) ?? null) });

  const models = [...new Set(runs.flatMap((r) => r.manifest.metrics.models.map((m) => m.model)))];
  const model = (m: ReportManifest, id: string) => m.metrics.models.find((x) => x.model === id);
  for (const id of models) {
    add(`OOF MAE ${id}`, true, 4, (m) => model(m, id)?.oofMae);
    const folds = [...new Set(runs.flatMap((r) => model(r.manifest, id)?.folds.map((f) => f.fold) ?? []))].sort((a, b) => a - b);
    for (const fold of folds) add(`OOF MAE ${id} fold ${fold}`, true, 4, (m) => model(m, id)?.folds.find((f) => f.fold === fold)?.validMae);
  }
  add('OOF MAE blend', true, 4, (m) => m.metrics.blendOofMae);
  add('inversion coverage (%)', false, 1, (m) => 100 * m.metrics.inversionCoverage);
  add('test MAE', true, 4, (m) => m.metrics.testMae);
  add('baseline test MAE', true, 4, (m) => m.metrics.baselineTestMae);
  // Pseudo-labelled runs (config pseudoLabel): their second round, next to the plain runs' only round.
  if (runs.some((r) => r.manifest.metrics.round2)) {
    add('round 2 OOF MAE blend', true, 4, (m) => m.metrics.round2?.blendOofMae);
    add('round 2 test MAE', true, 4, (m) => m.metrics.round2?.testMae);
  }
  const stages = [...new Set(runs.flatMap((r) => Object.keys(r.manifest.stages)))];
  for (const stage of stages) add(`${stage} seconds`, null, 1, (m) => m.stages[stage]?.seconds);

  const flat = runs.map((r) => {
    const out = new Map<string, string>();
    flatten(r.config, '', out);
    return out;
  });
  const paths = [...new Set(flat.flatMap((f) => [...f.keys()]))];
  const config = paths
    .map((path) => ({ path, values: flat.map((f) => f.get(path) ?? '-') }))
    .filter((d) => d.values.some((v) => v !== d.values[0]));
  return { runs, metrics, config };
}

/** "+0.1234" / "-0.1234", or "" when either side is missing. */
function difference(row: MetricRow, value: number | null, base: number | null): string {
  if (value === null || base === null) return '';
  const d = value - base;
  return `${d >= 0 ? '+' : ''}${d.toFixed(row.digits)}`;
}

function verdict(row: MetricRow, value: number | null, base: number | null): 'better' | 'worse' | '' {
  if (row.lowerIsBetter === null || value === null || base === null || value === base) return '';
  return value < base === row.lowerIsBetter ? 'better' : 'worse';
}

/** The comparison as a plain-text table for the terminal. */
export function formatComparison(c: Comparison): string {
  const header = ['metric', c.runs[0].label, ...c.runs.slice(1).flatMap((r) => [r.label, `vs ${c.runs[0].label}`])];
  const rows = c.metrics.map((row) => {
    const base = row.values[0];
    const show = (v: number | null) => (v === null ? '-' : v.toFixed(row.digits));
    return [row.metric, show(base), ...row.values.slice(1).flatMap((v) => [show(v), `${difference(row, v, base)} ${verdict(row, v, base)}`.trim()])];
  });
  const table = (cells: string[][]) => {
    const widths = cells[0].map((_, j) => Math.max(...cells.map((r) => r[j].length)));
    return cells.map((r) => r.map((cell, j) => (j === 0 ? cell.padEnd(widths[j]) : cell.padStart(widths[j]))).join('  ').trimEnd()).join('\n');
  };
  let text = table([header, ...rows]);
  if (c.config.length > 0) {
    text += `\n\nconfig settings that differ:\n${table([['setting', ...c.runs.map((r) => r.label)], ...c.config.map((d) => [d.path, ...d.values])])}`;
  } else {
    text += '\n\nthe configs are the same';
  }
  return text;
}

/** The comparison as a self-contained page: the table, the config differences and a chart of the errors. */
export function renderComparisonHtml(c: Comparison): string {
  const base = c.runs[0].label;
  const head = `<tr><th>metric</th><th class="num">${escapeHtml(base)}</th>${c.runs
    .slice(1)
    .map((r) => `<th class="num">${escapeHtml(r.label)}</th><th class="num">vs ${escapeHtml(base)}</th>`)
    .join('')}</tr>`;
  const rows = c.metrics
    .map((row) => {
      const show = (v: number | null) => `<td class="num">${v === null ? '-' : v.toFixed(row.digits)}</td>`;
      const others = row.values
        .slice(1)
        .map((v) => `${show(v)}<td class="num ${verdict(row, v, row.values[0])}">${difference(row, v, row.values[0])}</td>`)
        .join('');
      return `<tr><th>${escapeHtml(row.metric)}</th>${show(row.values[0])}${others}</tr>`;
    })
    .join('\n');
  const config =
    c.config.length === 0
      ? '<p class="note">The configs are the same.</p>'
      : `<table><tr><th>setting</th>${c.runs.map((r) => `<th>${escapeHtml(r.label)}</th>`).join('')}</tr>${c.config
          .map((d) => `<tr><th><code>${escapeHtml(d.path)}</code></th>${d.values.map((v) => `<td><code>${escapeHtml(v)}</code></td>`).join('')}</tr>`)
          .join('')}</table>`;
  const errors = c.metrics
    .filter((row) => row.lowerIsBetter === true && !row.metric.includes(' fold '))
    .flatMap((row) => row.values.map((value, i) => ({ metric: row.metric, run: c.runs[i].label, value })).filter((d) => d.value !== null));
  const chart: TopLevelSpec = {
    data: { values: errors },
    width: { step: 30 * c.runs.length },
    height: 200,
    mark: 'bar',
    encoding: {
      x: { field: 'metric', type: 'nominal', title: null, sort: [...new Set(errors.map((e) => e.metric))], axis: { labelAngle: -25 } },
      xOffset: { field: 'run', type: 'nominal', sort: c.runs.map((r) => r.label) },
      y: { field: 'value', type: 'quantitative', title: 'inspiratory MAE' },
      color: { field: 'run', type: 'nominal', sort: c.runs.map((r) => r.label), title: 'run' },
      tooltip: [{ field: 'run' }, { field: 'metric' }, { field: 'value', format: '.4f' }],
    },
  };
  const body = `<h1>Tidal: ${c.runs.map((r) => escapeHtml(r.label)).join(' vs ')}</h1>
<p class="note">Each run against the first (${escapeHtml(base)}); errors are inspiratory MAE in cmH2O, lower is better.</p>
<section id="metrics"><h2>Metrics</h2><table id="comparison">${head}
${rows}
</table></section>
<section id="errors"><h2>Errors</h2>${chartDiv('chart-errors')}</section>
<section id="config"><h2>Config settings that differ</h2>${config}</section>`;
  return renderPage({ title: `Tidal compare: ${c.runs.map((r) => r.label).join(' vs ')}`, body, charts: { 'chart-errors': chart } });
}
