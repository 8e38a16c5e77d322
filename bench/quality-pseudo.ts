/**
 * `npm run quality -- --pseudo`: the test MAE of the whole pipeline (`tidal run` on simulated data
 * whose test answers are known) with and without pseudo-labelling, at the same budget, written to
 * docs/quality.md under its own heading.
 *
 * Same budget means the same number of epochs per (model, fold) job: one round of E epochs against
 * round 1 of E/2 epochs plus a pseudo-labelled round 2 of E/2 epochs (retrained from scratch on the
 * fold's breaths plus every test breath). Round-2 epochs are longer (they also pass over the test
 * breaths), so each arm's wall time is reported next to it. Each (breaths, epochs) size has its own
 * section, so measurements at several budgets stand side by side; a rerun replaces its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRunConfig, runPipeline, type RunSummary } from '../pipeline/index.ts';
import { writeQualitySection } from './quality-default-run.ts';

export interface PseudoQualityOptions {
  breaths: number;
  /** The budget: epochs per (model, fold) job, split in two halves for the pseudo-labelled arm. */
  epochs: number;
  seed: number;
  backend: string;
  models: string[];
  /** The Markdown file whose `## Pseudo-labelling ...` section for this size is (re)written. */
  out: string;
  command: string;
}

const K = 3;

interface Arm {
  name: string;
  epochs: string;
  seconds: number;
  cv: number;
  test: number | null;
}

export async function pseudoLabelQuality(options: PseudoQualityOptions): Promise<void> {
  const { breaths, epochs, seed, backend, models } = options;
  if (epochs < 2 || epochs % 2 !== 0) throw new Error(`--epochs ${epochs}: the pseudo-labelling comparison splits the budget in two halves, give an even number >= 2`);
  const half = epochs / 2;
  const heading = `Pseudo-labelling (\`npm run quality -- --pseudo\`): ${breaths} breaths, ${epochs} epochs`;
  const scratch = mkdtempSync(join(tmpdir(), 'tidal-quality-pseudo-'));
  const base = {
    seed,
    backend,
    jobs: 1,
    input: { kind: 'simulate', breaths, testBreaths: Math.max(1, Math.round(breaths / 2)) },
    folds: { k: K },
    models: models.map((name) => ({ name, size: 'small' })),
    recipe: { batchSize: 32, lr: 1e-2, schedule: { kind: 'cosine', decayFraction: 0.5, minLr: 1e-3 }, clipNorm: 10 },
  };
  const run = async (name: string, extra: object): Promise<{ summary: RunSummary; seconds: number }> => {
    const config = parseRunConfig({ ...base, ...extra, name, recipe: { ...base.recipe, ...(extra as { recipe?: object }).recipe } }, `quality --pseudo (${name})`);
    const started = performance.now();
    const summary = await runPipeline({ config, outDir: join(scratch, name), tty: false, print: (line) => console.log(`  [${name}] ${line}`) });
    return { summary: summary!, seconds: (performance.now() - started) / 1000 };
  };
  const arms: Arm[] = [];
  try {
    const single = await run('one-round', { recipe: { epochs } });
    arms.push({ name: 'one round', epochs: String(epochs), seconds: single.seconds, cv: single.summary.submission.postprocessedOofMae, test: single.summary.submission.testMae });
    const pseudo = await run('pseudo', { recipe: { epochs: half }, pseudoLabel: { rows: 'inspiratory', weight: 1, source: 'submission' } });
    const r1 = pseudo.summary.submission;
    const r2 = pseudo.summary.round2!.submission;
    arms.push({ name: 'round 1 alone (half the budget)', epochs: String(half), seconds: Number.NaN, cv: r1.postprocessedOofMae, test: r1.testMae });
    arms.push({ name: 'round 1 + pseudo-labelled round 2', epochs: `${half} + ${half}`, seconds: pseudo.seconds, cv: r2.postprocessedOofMae, test: r2.testMae });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const fmt = (x: number | null) => (x === null || !Number.isFinite(x) ? '-' : x.toFixed(3));
  const table = [
    '| arm | epochs per job | wall s | CV MAE (blend + post-processing) | test MAE (submission) |',
    '|---|---|---|---|---|',
    ...arms.map((a) => `| ${a.name} | ${a.epochs} | ${Number.isFinite(a.seconds) ? a.seconds.toFixed(0) : '(in the row below)'} | ${fmt(a.cv)} | ${fmt(a.test)} |`),
  ].join('\n');
  const [one, , both] = arms;
  const verdict =
    one.test === null || both.test === null
      ? ''
      : `\nAt this budget the pseudo-labelled arm's test MAE is ${((100 * (both.test - one.test)) / one.test).toFixed(0)}% ${both.test <= one.test ? 'below' : 'above'} one round's` +
        ` (${fmt(both.test)} against ${fmt(one.test)}), and ${fmt(arms[1].test)} -> ${fmt(both.test)} against round 1 alone.\n`;
  const body = `Test inspiratory MAE of the whole pipeline with and without pseudo-labelling, at the same budget.
Written by \`bench/quality-pseudo.ts\`; rerun it to refresh.

- Command: \`${options.command}\`
- Date: ${new Date().toUTCString()}; the machine (2 cores) was shared with other work while it ran, so wall times are rough.
- Data: ${breaths} simulated train breaths and ${base.input.testBreaths} test breaths (seed ${seed}, answers known), ${K} folds,
  models ${models.join(', ')} (\`small\`), blended and post-processed as the pipeline does.
- Same budget = the same epochs per (model, fold) job: one round of ${epochs} against round 1 of ${half} plus
  round 2 of ${half} (\`pseudoLabel\`: the round-1 submission labels every test breath's inspiratory rows, weight 1).
  A round-2 epoch also passes over the test breaths, so it takes longer; see the wall times.

${table}
${verdict}
The CV of round 2 is slightly optimistic: its labels come from models that saw each fold's
validation breaths. The test MAE is the honest comparison.
`;
  console.log(`\n${table}\n`);
  writeQualitySection(options.out, heading, body);
  console.log(`wrote the pseudo-labelling section of ${options.out}`);
}
