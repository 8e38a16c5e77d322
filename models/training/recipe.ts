import { z } from 'zod';

/**
 * The training recipe: every knob of a fold's training, typed, JSON-serialisable, with a
 * documented default per field. `resolveRecipe` fills defaults and rejects bad values by name.
 */

/**
 * Adam, or AdamW with decoupled weight decay (w -= lr * weightDecay * w before the Adam step).
 * Defaults: beta1 0.9, beta2 0.999, epsilon 1e-7 (Keras'), weightDecay 0.01 (PyTorch's AdamW).
 */
export type OptimizerConfig =
  | { kind: 'adam'; beta1: number; beta2: number; epsilon: number }
  | { kind: 'adamw'; beta1: number; beta2: number; epsilon: number; weightDecay: number };

/**
 * Learning-rate schedules, all evaluated per step from the fractional epoch:
 * - constant: lr throughout.
 * - cosine: lr until the last `decayFraction` of training, then a half cosine down to minLr
 *   (decayFraction 1 decays over the whole run; 0.25 is the 1st place's "last quarter").
 * - cosine-restarts: half cosines from lr to minLr, the first `cycleEpochs` long, each next one
 *   `cycleMult` times longer (SGDR).
 * - plateau: lr multiplied by `factor` when the validation inspiratory MAE has not improved for
 *   `patience` epochs, never below minLr (Keras' ReduceLROnPlateau).
 */
export type ScheduleConfig =
  | { kind: 'constant' }
  | { kind: 'cosine'; decayFraction: number; minLr: number }
  | { kind: 'cosine-restarts'; cycleEpochs: number; cycleMult: number; minLr: number }
  | { kind: 'plateau'; factor: number; patience: number; minLr: number };

/** Training-batch augmentation (never applied to validation or test rows). */
export interface AugmentationConfig {
  /** Probability, per breath, of zeroing its one-hot R columns (the model must cope without R). Default 0. */
  maskRProbability: number;
  /** Same for the one-hot C columns. Default 0. */
  maskCProbability: number;
  /** Probability, per breath, of mixing it with another breath of the batch. Default 0. */
  mixupProbability: number;
  /** Mixing weight lambda ~ Beta(alpha, alpha), alpha in (0, 1]. Default 0.4. */
  mixupAlpha: number;
}

export interface TrainingRecipe {
  /** Epochs to train (fewer when early stopping fires). Default 20. */
  epochs: number;
  /** Breaths per batch. Default 128 (the 1st place's hybrid). */
  batchSize: number;
  /** Base learning rate. Default 1e-3. */
  lr: number;
  /** Default Adam (0.9, 0.999, 1e-7). */
  optimizer: OptimizerConfig;
  /** Default constant. */
  schedule: ScheduleConfig;
  /** Clip gradients to this global norm; null: no clipping. Default null. */
  clipNorm: number | null;
  /** Stop after this many epochs without a better validation inspiratory MAE; null: never. Default null. */
  patience: number | null;
  augmentation: AugmentationConfig;
  /** Loss name (models/losses registry); null: the default loss of the model's output kind. Default null. */
  loss: string | null;
  /** How 'levels' outputs become pressure: probability-weighted mean or most likely level. Default 'expected'. */
  levelsDecode: 'expected' | 'argmax';
  /** Write the resume state every this many epochs (and after the last). Default 1. */
  resumeEvery: number;
}

export const DEFAULT_RECIPE: TrainingRecipe = {
  epochs: 20,
  batchSize: 128,
  lr: 1e-3,
  optimizer: { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
  schedule: { kind: 'constant' },
  clipNorm: null,
  patience: null,
  augmentation: { maskRProbability: 0, maskCProbability: 0, mixupProbability: 0, mixupAlpha: 0.4 },
  loss: null,
  levelsDecode: 'expected',
  resumeEvery: 1,
};

export type RecipeInput = Partial<Omit<TrainingRecipe, 'augmentation' | 'optimizer'>> & {
  augmentation?: Partial<AugmentationConfig>;
  /** An optimizer object, or just its kind ('adam', 'adamw') for its defaults. */
  optimizer?: (Partial<OptimizerConfig> & { kind: OptimizerConfig['kind'] }) | OptimizerConfig['kind'];
};

// Every message reads after the field's path: "epochs must be a positive integer, got 0".
const positiveInt = z.number({ error: 'must be a positive integer' }).int({ error: 'must be a positive integer' }).min(1, { error: 'must be a positive integer' });
const positive = z.number({ error: 'must be a positive number' }).positive({ error: 'must be a positive number' }).finite({ error: 'must be a positive number' });
const nonNegative = z.number({ error: 'must be a number >= 0' }).min(0, { error: 'must be a number >= 0' }).finite({ error: 'must be a number >= 0' });
const probability = z.number({ error: 'must be in [0, 1]' }).min(0, { error: 'must be in [0, 1]' }).max(1, { error: 'must be in [0, 1]' });
const beta = z.number({ error: 'must be in [0, 1)' }).min(0, { error: 'must be in [0, 1)' }).lt(1, { error: 'must be in [0, 1)' });
const kindError = (kinds: string[]) => ({ error: `must be one of ${kinds.map((k) => `'${k}'`).join(', ')}` });

const adam = { beta1: beta.default(0.9), beta2: beta.default(0.999), epsilon: positive.default(1e-7) };
const OptimizerSchema = z.preprocess(
  (value) => (typeof value === 'string' ? { kind: value } : value),
  z.discriminatedUnion(
    'kind',
    [
      z.strictObject({ kind: z.literal('adam'), ...adam }),
      z.strictObject({ kind: z.literal('adamw'), ...adam, weightDecay: nonNegative.default(0.01) }),
    ],
    kindError(['adam', 'adamw']),
  ),
);

const ScheduleSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('constant') }),
    z.strictObject({
      kind: z.literal('cosine'),
      decayFraction: z.number({ error: 'must be in (0, 1]' }).gt(0, { error: 'must be in (0, 1]' }).max(1, { error: 'must be in (0, 1]' }).default(1),
      minLr: nonNegative.default(0),
    }),
    z.strictObject({
      kind: z.literal('cosine-restarts'),
      cycleEpochs: positive,
      cycleMult: z.number({ error: 'must be a number >= 1' }).min(1, { error: 'must be a number >= 1' }).default(1),
      minLr: nonNegative.default(0),
    }),
    z.strictObject({
      kind: z.literal('plateau'),
      factor: z.number({ error: 'must be in (0, 1)' }).gt(0, { error: 'must be in (0, 1)' }).lt(1, { error: 'must be in (0, 1)' }).default(0.5),
      patience: positiveInt.default(5),
      minLr: nonNegative.default(0),
    }),
  ],
  kindError(['constant', 'cosine', 'cosine-restarts', 'plateau']),
);

/** The recipe as it may be written in a config: every key optional, unknown keys refused. */
export const RecipeSchema = z.strictObject({
  epochs: positiveInt.default(DEFAULT_RECIPE.epochs),
  batchSize: positiveInt.default(DEFAULT_RECIPE.batchSize),
  lr: positive.default(DEFAULT_RECIPE.lr),
  optimizer: OptimizerSchema.prefault({ kind: 'adam' }),
  schedule: ScheduleSchema.prefault({ kind: 'constant' }),
  clipNorm: positive.nullable().default(DEFAULT_RECIPE.clipNorm),
  patience: positiveInt.nullable().default(DEFAULT_RECIPE.patience),
  augmentation: z
    .strictObject({
      maskRProbability: probability.default(0),
      maskCProbability: probability.default(0),
      mixupProbability: probability.default(0),
      mixupAlpha: z.number({ error: 'must be in (0, 1]' }).gt(0, { error: 'must be in (0, 1]' }).max(1, { error: 'must be in (0, 1]' }).default(0.4),
    })
    .prefault({}),
  loss: z.string({ error: 'must be a loss name or null' }).nullable().default(DEFAULT_RECIPE.loss),
  levelsDecode: z.enum(['expected', 'argmax'], kindError(['expected', 'argmax'])).default(DEFAULT_RECIPE.levelsDecode),
  resumeEvery: positiveInt.default(DEFAULT_RECIPE.resumeEvery),
});

/** One bad recipe value: its path inside the recipe ("schedule.minLr") and what is wrong. */
export interface RecipeProblem {
  path: string;
  message: string;
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value === 'string' && key === 'kind') return value;
    value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  }
  return value;
}

/** Every problem of a recipe input, or none. */
export function recipeProblems(input: unknown): RecipeProblem[] {
  const result = RecipeSchema.safeParse(input ?? {});
  if (result.success) return [];
  return result.error.issues.flatMap((issue) => {
    const at = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: at ? `${at}.${key}` : key, message: 'is not a recipe key' }));
    }
    const got = valueAt(input, issue.path);
    return [{ path: at || '(recipe)', message: `${issue.message}, got ${got === undefined ? 'nothing' : JSON.stringify(got)}` }];
  });
}

/** The recipe with defaults filled in; throws naming every bad field. */
export function resolveRecipe(input: RecipeInput = {}): TrainingRecipe {
  const result = RecipeSchema.safeParse(input);
  if (!result.success) throw new Error(`training recipe: ${recipeProblems(input).map((p) => `${p.path} ${p.message}`).join('; ')}`);
  return result.data as TrainingRecipe;
}
