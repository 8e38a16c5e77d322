/**
 * runs/NAME/report.html: what a finished run did, in one self-contained page.
 *
 *   1. read      the run folder (run-artifacts.ts)
 *   2. compute   small chart data sets (chart-data.ts)
 *   3. render    summary tables + Vega-Lite specs (charts.ts) into the page shell (html-page.ts)
 *   4. write     atomically
 *
 * The page is a function of the run folder: no clock, no absolute time except inside the
 * elements marked data-timing (stage and job timings), so a killed and resumed run gives the
 * same page as an uninterrupted one outside those elements. Summary numbers come from
 * manifest.json; each carries its manifest path and exact value (data-metric, data-value).
 */
import { RunCatalog, writeFileAtomic } from '../core/index.ts';
import { describeRecipe } from '../submissions/index.ts';
import { exampleBreaths, maeByFold, maeByRc, maeByTimeStep, residualHistogram, trainingCurves, type OofSeries } from './chart-data.ts';
import { exampleBreathsSpec, maeByTimeStepSpec, rcHeatmapSpec, residualHistogramSpec, trainingCurvesSpec } from './charts.ts';
import { chartDiv, escapeHtml, renderPage } from './html-page.ts';
import { readRunArtifacts, type RunArtifacts, type RunMetrics } from './run-artifacts.ts';
import type { TopLevelSpec } from 'vega-lite';


const fmtMae = (x: number) => x.toFixed(4);
const fmtPercent = (x: number) => `${(100 * x).toFixed(1)}%`;

/** A number from manifest.json, shown rounded, with its path and exact value for checking. */
function metricCell(path: string, value: number | null, format: (x: number) => string): string {
  if (value === null) return `<td class="num" data-metric="${path}" data-value="null">n/a</td>`;
  return `<td class="num" data-metric="${path}" data-value="${String(value)}">${format(value)}</td>`;
}

function blendLabel(a: RunArtifacts): string {
  return `blend (${a.blendMethod})`;
}

/** Round 1 against the pseudo-labelled round 2, when the run had one. */
function pseudoLabelTable(metrics: RunArtifacts['manifest']['metrics']): string {
  const round2 = metrics.round2;
  if (!round2) return '';
  const cell = (x: number | null | undefined) => `<td class="num">${x === null || x === undefined ? 'n/a' : fmtMae(x)}</td>`;
  const rows = [
    ...metrics.models.map((m) => `<tr><th>OOF ${escapeHtml(m.model)}</th>${cell(m.oofMae)}${cell(round2.models.find((x) => x.model === m.model)?.oofMae)}</tr>`),
    `<tr><th>OOF blend</th>${cell(metrics.blendOofMae)}${cell(round2.blendOofMae)}</tr>`,
    `<tr><th>test (submission)</th>${cell(metrics.testMae)}${cell(round2.testMae)}</tr>`,
  ].join('\n');
  return `<h3>Pseudo-labelling</h3>
<table id="pseudo-label"><tr><th>inspiratory MAE</th><th class="num">round 1</th><th class="num">round 2 (pseudo-labelled)</th></tr>
${rows}
</table>
<p class="note">Round 2 trained every (model, fold) job again on its fold's breaths plus the test breaths labelled by round 1; its submission is round-2/submission.csv${round2.blend ? `: ${escapeHtml(describeRecipe(round2.blend))}` : ''}.</p>`;
}

/** The blend refitted without each model, next to the full blend (runs with 2+ models). */
function contributionsTable(metrics: RunMetrics): string {
  if (metrics.modelContributions.length === 0) return '';
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;
  const rows = metrics.modelContributions
    .map((c, i) => `<tr><th>without ${escapeHtml(c.model)}</th>${metricCell(`metrics.modelContributions.${i}.blendOofMaeWithout`, c.blendOofMaeWithout, fmtMae)}${metricCell(`metrics.modelContributions.${i}.cost`, c.cost, signed)}</tr>`)
    .join('\n');
  return `<h3>What each model adds</h3>
<table id="model-contributions"><tr><th>blend</th><th class="num">OOF MAE</th><th class="num">cost of leaving the model out</th></tr>
<tr><th>all models</th><td class="num">${fmtMae(metrics.blendOofMae)}</td><td></td></tr>
${rows}
</table>
<p class="note">Each row refits the blend on the other models with the same cross-validated fitting; the rise in out-of-fold MAE is what the left-out model adds (negative: the blend does better without it).</p>
`;
}

function summarySection(a: RunArtifacts, blendFoldMae: Map<number, number>): string {
  const m = a.manifest;
  const metrics = m.metrics;
  const folds = [...new Set(metrics.models.flatMap((model) => model.folds.map((f) => f.fold)))].sort((x, y) => x - y);
  const tried = m.backendTried
    .map((t) => `<li><code>${escapeHtml(t.name)}</code>${t.error ? `: ${escapeHtml(t.error)}` : ' (used)'}</li>`)
    .join('');
  const hashes = Object.entries(m.inputHashes)
    .map(([k, h]) => `<tr><th>${escapeHtml(k)} input (SHA-256)</th><td><code>${escapeHtml(h)}</code></td></tr>`)
    .join('');
  const run = `<table>
<tr><th>config</th><td>${escapeHtml(a.name)}</td></tr>
<tr><th>seed</th><td>${m.seed}</td></tr>
<tr><th>backend</th><td><code>${escapeHtml(m.backend)}</code><details><summary>backends tried</summary><ul>${tried}</ul></details></td></tr>
<tr><th>versions</th><td>tidal ${escapeHtml(m.tidal)}, tfjs ${escapeHtml(m.tfjs)}, node ${escapeHtml(m.node)}</td></tr>
${metrics.blend ? `<tr><th>submission</th><td id="submission-recipe">${escapeHtml(describeRecipe(metrics.blend))}</td></tr>\n` : ''}${hashes}
</table>`;

  const head = `<tr><th>predictions</th><th class="num">OOF MAE</th>${folds.map((f) => `<th class="num">fold ${f}</th><th class="num">best epoch</th>`).join('')}</tr>`;
  const modelRows = metrics.models
    .map((model, i) => {
      const cells = folds
        .map((f) => {
          const j = model.folds.findIndex((s) => s.fold === f);
          if (j < 0) return '<td></td><td></td>';
          const s = model.folds[j];
          return `${metricCell(`metrics.models.${i}.folds.${j}.validMae`, s.validMae, fmtMae)}<td class="num" data-metric="metrics.models.${i}.folds.${j}.bestEpoch" data-value="${s.bestEpoch}">${s.bestEpoch}</td>`;
        })
        .join('');
      return `<tr><th>${escapeHtml(model.model)}</th>${metricCell(`metrics.models.${i}.oofMae`, model.oofMae, fmtMae)}${cells}</tr>`;
    })
    .join('\n');
  const blendCells = folds.map((f) => `<td class="num">${blendFoldMae.has(f) ? fmtMae(blendFoldMae.get(f)!) : ''}</td><td></td>`).join('');
  const blendRow = `<tr><th>${escapeHtml(blendLabel(a))}</th>${metricCell('metrics.blendOofMae', metrics.blendOofMae, fmtMae)}${blendCells}</tr>`;

  let test = '<p class="note">The test answers are not known: no test score.</p>';
  if (metrics.testMae !== null && metrics.baselineTestMae !== null) {
    const ratio = metrics.baselineTestMae / metrics.testMae;
    const versus = ratio >= 1 ? `${ratio.toFixed(1)}x lower error than the baseline` : `${(1 / ratio).toFixed(1)}x higher error than the baseline`;
    test = `<table>
<tr><th>submission</th>${metricCell('metrics.testMae', metrics.testMae, fmtMae)}</tr>
${metrics.blendTestMae === null ? '' : `<tr><th>the blend before post-processing</th>${metricCell('metrics.blendTestMae', metrics.blendTestMae, fmtMae)}</tr>\n`}<tr><th>per-(R, C, time-step) mean baseline</th>${metricCell('metrics.baselineTestMae', metrics.baselineTestMae, fmtMae)}</tr>
</table><p class="note">${versus}.</p>`;
  }
  return `<section id="summary">
<h2>Summary</h2>
${run}
${pseudoLabelTable(metrics)}
<h3>Out-of-fold inspiratory MAE</h3>
<table id="oof-scores">${head}
${modelRows}
${blendRow}
</table>
<p class="note">Each fold's MAE is its validation breaths' score at the epoch kept; the blend is fitted cross-validated over the same folds (its per-fold figures are computed from blend/oof.arrow).</p>
${contributionsTable(metrics)}<h3>Controller inversion</h3>
<table><tr><th>inspiratory test rows solved</th>${metricCell('metrics.inversionCoverage', metrics.inversionCoverage, fmtPercent)}</tr></table>
<h3>Test inspiratory MAE</h3>
${test}
</section>`;
}

function timingSection(a: RunArtifacts): string {
  const stages = Object.entries(a.manifest.stages)
    .map(([name, s]) => `<tr><th>${escapeHtml(name)}</th><td class="num">${s.seconds.toFixed(1)}</td><td>${escapeHtml(s.at)}</td></tr>`)
    .join('');
  const jobs = a.jobs
    .map((j) => `<tr><th>${escapeHtml(j.model)} fold ${j.fold}</th><td class="num">${j.seconds === null ? 'n/a' : j.seconds.toFixed(1)}</td></tr>`)
    .join('');
  return `<section id="timings" data-timing>
<h2>Wall time</h2>
<table><tr><th>stage</th><th class="num">seconds</th><th>finished at</th></tr>${stages}</table>
<p class="note">A resumed run's stage times are those of its last attempt.</p>
<table><tr><th>training job</th><th class="num">seconds</th></tr>${jobs}</table>
</section>`;
}

/** The report page of a loaded run (pure: same artifacts, same string). */
export function buildHtmlReport(a: RunArtifacts): string {
  const blend = blendLabel(a);
  const series: OofSeries[] = [...[...a.oofByModel].map(([name, oof]) => ({ name, oof })), { name: blend, oof: a.blendOof }];
  const seriesOrder = series.map((s) => s.name);
  const models = [...a.oofByModel.keys()];
  const bestEpoch = new Map(a.manifest.metrics.models.flatMap((m) => m.folds.map((f) => [`${m.model}/${f.fold}`, f.bestEpoch] as const)));
  const curves = trainingCurves(a.jobs.map((j) => ({ ...j, bestEpoch: bestEpoch.get(`${j.model}/${j.fold}`) ?? -1 })));
  const breaths = exampleBreaths(a.blendOof, a.train);

  const charts: Record<string, TopLevelSpec> = {
    'chart-rc-heatmap': rcHeatmapSpec(maeByRc(series, a.train), seriesOrder),
  };
  if (curves.length > 0) charts['chart-training-curves'] = trainingCurvesSpec(curves, models);
  charts['chart-example-breaths'] = exampleBreathsSpec(breaths);
  charts['chart-residuals'] = residualHistogramSpec(residualHistogram(series, a.train), seriesOrder);
  charts['chart-mae-by-step'] = maeByTimeStepSpec(maeByTimeStep(series, a.train), seriesOrder);

  const manifestWithoutTimes = { ...a.manifestJson };
  delete manifestWithoutTimes.stages;
  const body = `<h1>Tidal run ${escapeHtml(a.name)}</h1>
<p class="note">${a.train.nBreaths} train breaths, ${models.length} model${models.length === 1 ? '' : 's'}, ${new Set(a.breathFold).size} folds. Out-of-fold scores are on the inspiratory rows (u_out = 0), in cmH2O.</p>
${summarySection(a, maeByFold(a.blendOof, a.train, a.breathFold))}
${timingSection(a)}
<section id="rc-heatmap">
<h2>Out-of-fold MAE by (R, C)</h2>
${chartDiv('chart-rc-heatmap')}
</section>
<section id="training-curves">
<h2>Training curves</h2>
${curves.length > 0 ? `<p class="note">One line a fold; the dashed rule and the diamond mark the epoch whose weights the fold kept.</p>\n${chartDiv('chart-training-curves')}` : '<p class="note">This run\'s jobs kept no per-epoch history (trained before history.json existed).</p>'}
</section>
<section id="example-breaths">
<h2>Example breaths</h2>
<p class="note">The best, median and worst out-of-fold breaths of each (R, C) by the ${escapeHtml(blend)}'s inspiratory MAE; the expiratory part (u_out = 1, not scored) is shaded.</p>
${chartDiv('chart-example-breaths')}
</section>
<section id="residuals">
<h2>Residuals</h2>
<h3>Out-of-fold residuals on inspiratory rows</h3>
${chartDiv('chart-residuals')}
<h3>Out-of-fold MAE by time step</h3>
${chartDiv('chart-mae-by-step')}
</section>
<section id="config">
<h2>Config and manifest</h2>
<details><summary>Resolved config (config.json)</summary><pre>${escapeHtml(JSON.stringify(a.configJson, null, 2))}</pre></details>
<details><summary>Manifest (manifest.json)</summary><pre>${escapeHtml(JSON.stringify(manifestWithoutTimes, null, 2))}</pre>
<pre data-timing>${escapeHtml(JSON.stringify({ stages: a.manifestJson.stages }, null, 2))}</pre></details>
</section>`;
  return renderPage({ title: `Tidal run ${a.name}`, body, charts });
}

/** Writes RUN/report.html from the run folder and returns its path. */
export async function writeHtmlReport(runDir: string): Promise<string> {
  const artifacts = await readRunArtifacts(runDir);
  const path = new RunCatalog(artifacts.runDir).htmlReport;
  writeFileAtomic(path, buildHtmlReport(artifacts));
  return path;
}
