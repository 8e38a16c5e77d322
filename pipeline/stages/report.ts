/**
 * Stage `report`: the run's metrics in manifest.json, report.md (out-of-fold MAE per model and of
 * the blend, overall and per (R, C), and the blend without each model) and report.html (charts, read from the run folder and the
 * manifest just written); `summaryLines` is what the terminal shows at the end.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { writeHtmlReport } from '../../report/index.ts';
import { writeFileAtomic } from '../../core/index.ts';
import { formatContributions } from '../../submissions/index.ts';
import type { Stage } from '../stage.ts';
import type { PredictionsResult } from './predictions.ts';
import type { SubmitResult } from './submit.ts';

export interface ReportInput {
  predictions: PredictionsResult;
  submitted: SubmitResult;
}

export const reportStage: Stage<ReportInput, { report: string }> = {
  name: 'report',
  key: (input, ctx) => ({ ...input, name: ctx.plan.config.name }),
  async run({ predictions, submitted }, ctx) {
    const added =
      submitted.contributions.length > 0
        ? `What each model adds: the blend refitted without it, cross-validated over the same folds:\n\n${formatContributions(submitted.contributions, submitted.blendOofMae)}\n`
        : '';
    writeFileAtomic(ctx.run.catalog.report, `# Run ${ctx.plan.config.name}\n\nOut-of-fold inspiratory MAE, overall and per (R, C):\n\n${submitted.reportTable}\n${added}`);
    ctx.run.updateManifest((m) => {
      m.metrics = {
        models: predictions.models,
        blendOofMae: submitted.blendOofMae,
        postprocessedOofMae: submitted.postprocessedOofMae,
        blendWeights: submitted.blendWeights,
        modelContributions: submitted.contributions,
        inversionCoverage: submitted.inversionCoverage,
        testMae: submitted.testMae,
        blendTestMae: submitted.blendTestMae,
        baselineTestMae: submitted.baselineTestMae,
      };
    });
    await writeHtmlReport(ctx.run.dir);
    return { report: ctx.run.catalog.report };
  },
  outputsPresent: (_, ctx) => existsSync(ctx.run.catalog.report) && existsSync(ctx.run.catalog.htmlReport),
};

/** The end-of-run summary for the terminal and log.txt. */
export function summaryLines(input: ReportInput, blendMethod: string, paths: { submission: string; htmlReport: string; runDir: string }, seconds: number): string[] {
  const { predictions, submitted } = input;
  const fmt = (x: number | null) => (x === null ? 'n/a' : x.toFixed(4));
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
  lines.push(`submission: ${paths.submission}`);
  lines.push(`run folder: ${paths.runDir} (${seconds.toFixed(0)} s)`);
  lines.push(`report: ${pathToFileURL(paths.htmlReport).href}`);
  return lines;
}
