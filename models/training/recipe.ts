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
  optimizer?: Partial<OptimizerConfig> & { kind: OptimizerConfig['kind'] };
};

function check(ok: boolean, field: string, expected: string, value: unknown): void {
  if (!ok) throw new Error(`training recipe: ${field} must be ${expected}, got ${JSON.stringify(value)}`);
}

const positiveInt = (v: number) => Number.isInteger(v) && v > 0;
const probability = (v: number) => Number.isFinite(v) && v >= 0 && v <= 1;

/** The recipe with defaults filled in; throws naming the first bad field. */
export function resolveRecipe(input: RecipeInput = {}): TrainingRecipe {
  const given = input.optimizer as { kind?: string; weightDecay?: unknown } | undefined;
  check(!(given?.kind === 'adam' && given.weightDecay !== undefined), 'optimizer.weightDecay', "absent for 'adam' (use 'adamw')", given?.weightDecay);
  const optimizer = { ...DEFAULT_RECIPE.optimizer, weightDecay: 0.01, ...input.optimizer } as OptimizerConfig & { weightDecay?: number };
  if (optimizer.kind === 'adam') delete optimizer.weightDecay;
  const recipe: TrainingRecipe = {
    ...DEFAULT_RECIPE,
    ...input,
    optimizer,
    augmentation: { ...DEFAULT_RECIPE.augmentation, ...input.augmentation },
  };
  check(positiveInt(recipe.epochs), 'epochs', 'a positive integer', recipe.epochs);
  check(positiveInt(recipe.batchSize), 'batchSize', 'a positive integer', recipe.batchSize);
  check(recipe.lr > 0 && Number.isFinite(recipe.lr), 'lr', 'a positive number', recipe.lr);
  check(['adam', 'adamw'].includes(optimizer.kind), 'optimizer.kind', "'adam' or 'adamw'", optimizer.kind);
  check(optimizer.beta1 >= 0 && optimizer.beta1 < 1, 'optimizer.beta1', 'in [0, 1)', optimizer.beta1);
  check(optimizer.beta2 >= 0 && optimizer.beta2 < 1, 'optimizer.beta2', 'in [0, 1)', optimizer.beta2);
  check(optimizer.epsilon > 0, 'optimizer.epsilon', 'positive', optimizer.epsilon);
  if (optimizer.kind === 'adamw') check(optimizer.weightDecay >= 0, 'optimizer.weightDecay', '>= 0', optimizer.weightDecay);
  const s = recipe.schedule;
  switch (s.kind) {
    case 'constant':
      break;
    case 'cosine':
      check(s.decayFraction > 0 && s.decayFraction <= 1, 'schedule.decayFraction', 'in (0, 1]', s.decayFraction);
      check(s.minLr >= 0, 'schedule.minLr', '>= 0', s.minLr);
      break;
    case 'cosine-restarts':
      check(s.cycleEpochs > 0, 'schedule.cycleEpochs', 'positive', s.cycleEpochs);
      check(s.cycleMult >= 1, 'schedule.cycleMult', '>= 1', s.cycleMult);
      check(s.minLr >= 0, 'schedule.minLr', '>= 0', s.minLr);
      break;
    case 'plateau':
      check(s.factor > 0 && s.factor < 1, 'schedule.factor', 'in (0, 1)', s.factor);
      check(positiveInt(s.patience), 'schedule.patience', 'a positive integer', s.patience);
      check(s.minLr >= 0, 'schedule.minLr', '>= 0', s.minLr);
      break;
    default:
      check(false, 'schedule.kind', "'constant', 'cosine', 'cosine-restarts' or 'plateau'", (s as { kind: unknown }).kind);
  }
  check(recipe.clipNorm === null || recipe.clipNorm > 0, 'clipNorm', 'null or positive', recipe.clipNorm);
  check(recipe.patience === null || positiveInt(recipe.patience), 'patience', 'null or a positive integer', recipe.patience);
  const a = recipe.augmentation;
  check(probability(a.maskRProbability), 'augmentation.maskRProbability', 'in [0, 1]', a.maskRProbability);
  check(probability(a.maskCProbability), 'augmentation.maskCProbability', 'in [0, 1]', a.maskCProbability);
  check(probability(a.mixupProbability), 'augmentation.mixupProbability', 'in [0, 1]', a.mixupProbability);
  check(a.mixupAlpha > 0 && a.mixupAlpha <= 1, 'augmentation.mixupAlpha', 'in (0, 1]', a.mixupAlpha);
  check(['expected', 'argmax'].includes(recipe.levelsDecode), 'levelsDecode', "'expected' or 'argmax'", recipe.levelsDecode);
  check(positiveInt(recipe.resumeEvery), 'resumeEvery', 'a positive integer', recipe.resumeEvery);
  return recipe;
}
