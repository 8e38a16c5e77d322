/**
 * Stage `pseudo-label`: round 1's blend (the submission's values, or the blend before
 * post-processing, as `pseudoLabel.source` says) as labels for every test row, with each row's
 * loss weight (`pseudoLabel.weight` on the rows `pseudoLabel.rows` picks, 0 elsewhere), written to
 * round-2/pseudo-labels.arrow. Keyed by round 1's jobs (the content its predictions come from) and
 * the settings, so changing the weight rewrites the labels and retrains round 2 only.
 */
import { existsSync } from 'node:fs';
import type { RunCatalog } from '../../core/index.ts';
import { readRunConfig } from '../config.ts';
import type { PseudoLabelPlan } from '../plan.ts';
import { pseudoLabelsOf, writePseudoLabels } from '../pseudo-labels.ts';
import type { Stage } from '../stage.ts';
import { buildRunSubmission, type SubmitInput } from './submit.ts';

export interface PseudoLabelResult {
  /** Test rows with a weight above 0, and all test rows. */
  labelledRows: number;
  testRows: number;
}

/** The round whose training reads the labels this stage writes. */
export const PSEUDO_ROUND = 2;

/** The round whose submission is the run's: PSEUDO_ROUND when its config has `pseudoLabel`, else 1. */
export function submittedRound(catalog: RunCatalog): number {
  return existsSync(catalog.config) && readRunConfig(catalog.config).pseudoLabel ? PSEUDO_ROUND : 1;
}

export function pseudoLabelStage(plan: PseudoLabelPlan): Stage<SubmitInput, PseudoLabelResult> {
  const { rows, weight, source } = plan.settings;
  return {
    name: 'pseudo-label',
    key: ({ files, trained }, ctx) => ({
      jobs: trained.jobs.map((j) => j.key),
      blend: ctx.plan.config.blend,
      // Only the submission's values are post-processed.
      postprocess: source === 'submission' ? ctx.plan.config.postprocess : undefined,
      sampleSubmission: files.hashes.sampleSubmission,
      rows,
      weight,
      source,
    }),
    async run(input, ctx) {
      const { built } = await buildRunSubmission(input, ctx, 1);
      const labels = pseudoLabelsOf(source === 'submission' ? built.pressure : built.testBlend, input.tables.test.uOut, { rows, weight });
      writePseudoLabels(ctx.run.catalog.pseudoLabels(PSEUDO_ROUND), labels);
      const labelledRows = labels.weight.reduce((n, w) => n + (w > 0 ? 1 : 0), 0);
      ctx.print(`pseudo-label: ${labelledRows} of ${labels.weight.length} test rows labelled from round 1's ${source} (weight ${weight})`);
      return { labelledRows, testRows: labels.weight.length };
    },
    outputsPresent: (_, ctx) => existsSync(ctx.run.catalog.pseudoLabels(PSEUDO_ROUND)),
  };
}
