/**
 * Stage `report`: the run's metrics in manifest.json, report.md (the recipe that made the
 * submission, out-of-fold MAE per model and of the blend, overall and per (R, C), and the blend
 * without each model) and report.html (charts,
 * read from the run folder and the manifest just written); `summaryLines` is what the terminal
 * shows at the end. With pseudo-labelling, round 2's scores stand next to round 1's in all three.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { writeHtmlReport } from '../../report/index.ts';
import { writeFileAtomic } from '../../core/index.ts';
import { describeRecipe, formatContributions } from '../../submissions/index.ts';
import type { RunFolder } from '../run-folder.ts';
import type { Stage } from '../stage.ts';
import type { PredictionsResult } from './predictions.ts';
import type { SubmitResult } from './submit.ts';

/** One round's model scores and blend. */
export interface RoundOutputs {
  predictions: PredictionsResult;
  submitted: SubmitResult;
}

export interface ReportInput extends RoundOutputs {
  /** The pseudo-labelled second round, when the config has `pseudoLabel`. */
  round2?: RoundOutputs;
}

const fmt = (x: number | null) => (x === null ? 'n/a' : x.toFixed(4));

/** Round 1 and round 2 side by side, as a Markdown table. */
function roundsTable(round1: RoundOutputs, round2: RoundOutputs): string {
  const rows: [string, number | null, number | null][] = [
    ...round1.predictions.models.map((m): [string, number | null, number | null] => [
      `CV ${m.model}`,
      m.oofMae,
      round2.predictions.models.find((x) => x.model === m.model)?.oofMae ?? null,
    ]),
    ['CV blend', round1.submitted.blendOofMae, round2.submitted.blendOofMae],
    ['CV blend + post-processing', round1.submitted.postprocessedOofMae, round2.submitted.postprocessedOofMae],
    ['test (submission)', round1.submitted.testMae, round2.submitted.testMae],
  ];
  return ['| inspiratory MAE | round 1 | round 2 (pseudo-labelled) |', '|---|---:|---:|', ...rows.map(([what, a, b]) => `| ${what} | ${fmt(a)} | ${fmt(b)} |`)].join('\n');
}

function roundMetrics({ predictions, submitted }: RoundOutputs) {
  return {
    models: predictions.models,
    blend: submitted.recipe,
    blendOofMae: submitted.blendOofMae,
    postprocessedOofMae: submitted.postprocessedOofMae,
    blendWeights: submitted.blendWeights,
    modelContributions: submitted.contributions,
    inversionCoverage: submitted.inversionCoverage,
    testMae: submitted.testMae,
    blendTestMae: submitted.blendTestMae,
  };
}

/** What the report depends on: the stage key, for `tidal run` and `tidal submit` alike. */
export function reportKey(input: ReportInput, name: string): unknown {
  return { ...input, name };
}

/** report.md, manifest.json's metrics and report.html of run `name`, from its rounds' results. */
export async function writeRunReport({ predictions, submitted, round2 }: ReportInput, run: RunFolder, name: string): Promise<{ report: string }> {
  let report = `# Run ${name}\n\nThe submission: ${describeRecipe(submitted.recipe)}.\n\nOut-of-fold inspiratory MAE, overall and per (R, C):\n\n${submitted.reportTable}\n`;
  if (submitted.contributions.length > 0) {
    report += `What each model adds: the blend refitted without it, cross-validated over the same folds:\n\n${formatContributions(submitted.contributions, submitted.blendOofMae)}\n`;
  }
  if (round2) {
    report +=
      `\n## Pseudo-labelling\n\nRound 2 trained every (model, fold) job again with the test breaths labelled by round 1 (round-2/):\n\n` +
      `${roundsTable({ predictions, submitted }, round2)}\n\nRound 2's submission (round-2/submission.csv): ${describeRecipe(round2.submitted.recipe)}.\n\n` +
      `Round 2, out-of-fold inspiratory MAE, overall and per (R, C):\n\n${round2.submitted.reportTable}\n`;
  }
  writeFileAtomic(run.catalog.report, report);
  run.updateManifest((m) => {
    m.metrics = {
      ...roundMetrics({ predictions, submitted }),
      baselineTestMae: submitted.baselineTestMae,
      ...(round2 ? { round2: roundMetrics(round2) } : {}),
    };
  });
  await writeHtmlReport(run.dir);
  return { report: run.catalog.report };
}

export const reportStage: Stage<ReportInput, { report: string }> = {
  name: 'report',
  key: (input, ctx) => reportKey(input, ctx.plan.config.name),
  run: (input, ctx) => writeRunReport(input, ctx.run, ctx.plan.config.name),
  outputsPresent: (_, ctx) => existsSync(ctx.run.catalog.report) && existsSync(ctx.run.catalog.htmlReport),
};

/** The end-of-run summary for the terminal and log.txt. */
export function summaryLines(input: ReportInput, blendMethod: string, paths: { submission: string; htmlReport: string; runDir: string }, seconds: number): string[] {
  const { predictions, submitted, round2 } = input;
  const lines = ['', 'CV inspiratory MAE (out of fold):'];
  for (const m of predictions.models) lines.push(`  ${m.model.padEnd(24)} ${fmt(m.oofMae)}   folds: ${m.folds.map((f) => f.validMae.toFixed(4)).join(' ')}`);
  lines.push(`  ${'blend'.padEnd(24)} ${fmt(submitted.blendOofMae)} (${blendMethod}, cross-validated)`);
  lines.push(`  ${'blend + post-processing'.padEnd(24)} ${fmt(submitted.postprocessedOofMae)}`);
  if (submitted.contributions.length > 0) {
    lines.push('blend refitted without each model (out of fold; the rise is what the model adds):');
    for (const c of submitted.contributions) lines.push(`  ${`without ${c.model}`.padEnd(24)} ${fmt(c.blendOofMaeWithout)} (${c.cost >= 0 ? '+' : ''}${c.cost.toFixed(4)})`);
  }
  lines.push(`controller inversion: ${(100 * submitted.inversionCoverage).toFixed(1)}% of inspiratory test rows solved`);
  if (submitted.testMae !== null && submitted.baselineTestMae !== null) {
    const ratio = submitted.baselineTestMae / submitted.testMae;
    const versus = ratio >= 1 ? `${ratio.toFixed(1)}x lower error` : `${(1 / ratio).toFixed(1)}x higher error`;
    lines.push(`test inspiratory MAE: submission ${fmt(submitted.testMae)}, per-(R, C, time) baseline ${fmt(submitted.baselineTestMae)} (${versus} than the baseline)`);
    lines.push(`  the blend before post-processing (inversion, snapping): ${fmt(submitted.blendTestMae)}`);
  }
  if (round2) {
    lines.push('pseudo-labelling, inspiratory MAE round 1 -> round 2 (CV, then test):');
    const change = (label: string, before: number | null, after: number | null) => lines.push(`  ${label.padEnd(24)} ${fmt(before)} -> ${fmt(after)}`);
    for (const m of round2.predictions.models) change(m.model, predictions.models.find((x) => x.model === m.model)?.oofMae ?? null, m.oofMae);
    change('blend + post-processing', submitted.postprocessedOofMae, round2.submitted.postprocessedOofMae);
    if (submitted.testMae !== null) change('test (submission)', submitted.testMae, round2.submitted.testMae);
  }
  lines.push(`submission: ${paths.submission}`);
  lines.push(`run folder: ${paths.runDir} (${seconds.toFixed(0)} s)`);
  lines.push(`report: ${pathToFileURL(paths.htmlReport).href}`);
  return lines;
}
