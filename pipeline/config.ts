/**
 * The run config: one JSON document names the input, features, folds, models, training recipe,
 * blend and post-processing. Unknown keys and bad values are errors that name their path.
 */
import { z } from 'zod';
import { readInputFileSync } from '../dataset/index.ts';
import { BACKEND_NAMES } from '../models/backend.ts';

const positiveInt = z.number().int().min(1);

const SimulatedInput = z.strictObject({
  /** Generate the data with the built-in simulator. */
  kind: z.literal('simulate'),
  /** Training breaths to simulate. */
  breaths: positiveInt.min(10),
  /** Test breaths (default: half of `breaths`). */
  testBreaths: positiveInt.optional(),
});

const KaggleInput = z.strictObject({
  /** Read train.csv, test.csv and sample_submission.csv from `dir`. */
  kind: z.literal('kaggle'),
  dir: z.string().min(1).default('input'),
  /** Optional answers file (id,pressure) for test rows, to score the submission. */
  answers: z.string().optional(),
});

const ModelEntry = z.strictObject({
  /** A registered model name (see `tidal models`). */
  name: z.string().min(1),
  /** Label of this entry in the run (default: the name); lets one model appear twice with different configs. */
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'letters, digits, - and _ only').optional(),
  /** Start from the model's `small` or full-size (`defaults`) config. */
  size: z.enum(['small', 'defaults']).default('small'),
  /** Overrides of the model's config keys. */
  config: z.record(z.string(), z.unknown()).default({}),
  /** Feature set (default: the model's own). */
  featureSet: z.string().optional(),
  /** Overrides of the run's training recipe for this model. */
  recipe: z.record(z.string(), z.unknown()).default({}),
});

/**
 * Pseudo-labelling, as the 1st place did: after the blend, a second round trains every (model,
 * fold) job again on the fold's training breaths plus every test breath, labelled with the
 * round-1 predictions; each fold still validates on its own train breaths only.
 */
const PseudoLabel = z.strictObject({
  /** Test rows that get a label: the scored inspiratory rows (u_out == 0) or all 80 of a breath. */
  rows: z.enum(['inspiratory', 'all']).default('inspiratory'),
  /** A labelled test row's weight in the loss; a train row weighs 1. */
  weight: z.number().gt(0).max(10).default(1),
  /** The labels: round 1's submission values (inverted and snapped as `postprocess` says) or the blend before post-processing. */
  source: z.enum(['submission', 'blend']).default('submission'),
  /** Round 2's overrides of each model's recipe (the run's recipe with the model's on top). */
  recipe: z.record(z.string(), z.unknown()).default({}),
});

export const RunConfigSchema = z.strictObject({
  /** Run name: the folder under runs/ unless --out says otherwise, so a plain name, never a path. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a plain name: letters, digits, ".", "-" and "_", starting with a letter or digit (use --out for a path)'),
  /** The one seed every other seed is derived from. */
  seed: z.number().int().min(0).default(42),
  backend: z.enum(['auto', ...BACKEND_NAMES]).default('auto'),
  /** (model, fold) jobs trained at once, each in its own process. */
  jobs: positiveInt.default(1),
  input: z.discriminatedUnion('kind', [SimulatedInput, KaggleInput]),
  /** Scaler fitted on each fold's training rows. */
  scaler: z.string().default('robust'),
  folds: z
    .strictObject({
      k: positiveInt.min(2).default(5),
      /** Keep each R_C pair's share in every fold. */
      stratified: z.boolean().default(true),
      /** Reuse a shared folds.csv (breath_id,fold) instead of drawing folds. */
      file: z.string().optional(),
    })
    .default({ k: 5, stratified: true }),
  models: z.array(ModelEntry).min(1),
  /** Training recipe shared by every model (keys of the trainer's recipe). */
  recipe: z.record(z.string(), z.unknown()).default({}),
  blend: z
    .strictObject({
      /** How the test predictions of a model's folds combine. */
      folds: z.string().default('median'),
      /** How models combine. */
      models: z.string().default('weights'),
    })
    .default({ folds: 'median', models: 'weights' }),
  postprocess: z
    .strictObject({
      /** Replace rows solved exactly by inverting the PI controller. */
      invert: z.boolean().default(true),
      /** Snap to the 950-level pressure grid. */
      snap: z.boolean().default(true),
    })
    .default({ invert: true, snap: true }),
  /** A pseudo-labelled second round after the blend; absent, the run has one round. */
  pseudoLabel: PseudoLabel.optional(),
});

export type RunConfig = z.infer<typeof RunConfigSchema>;
export type ModelEntryConfig = z.infer<typeof ModelEntry>;
export type PseudoLabelConfig = z.infer<typeof PseudoLabel>;

export class ConfigError extends Error {
  constructor(source: string, problems: string[]) {
    super(`invalid config ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function pathText(path: PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), '');
}

/** Validates a parsed JSON value; `source` names it in errors (a file path or preset name). */
export function parseRunConfig(value: unknown, source: string): RunConfig {
  const result = RunConfigSchema.safeParse(value);
  if (!result.success) {
    throw new ConfigError(
      source,
      result.error.issues.map((issue) => {
        const at = pathText(issue.path);
        const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.map((k) => `${at ? `${at}.` : ''}${k}`).join(', ')})` : '';
        return `${at || '(top level)'}: ${issue.message}${keys}`;
      }),
    );
  }
  const ids = result.data.models.map((m) => m.id ?? m.name);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new ConfigError(source, [`models: two entries are labelled '${dup}'; give one an "id"`]);
  return result.data;
}

export function readRunConfig(path: string): RunConfig {
  const text = readInputFileSync(path, 'a JSON run config');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(path, [(err as Error).message]);
  }
  return parseRunConfig(value, path);
}

export function modelEntryId(entry: ModelEntryConfig): string {
  return entry.id ?? entry.name;
}
