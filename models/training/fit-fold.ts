/**
 * Trains one model on one fold with its own loop and returns the out-of-fold (and test)
 * predictions of its best epoch.
 *
 *   1. resolve the recipe, build the model (initialisers seeded from `seed`), create the loss
 *   2. restore the resume state when one exists (weights, optimizer, best-so-far, history)
 *   3. per epoch: seeded shuffle -> batches gathered by breath -> augment -> gradients
 *      (tf.variableGrads) -> clip by global norm -> Adam/AdamW step at the scheduled lr
 *   4. validation inspiratory MAE (the competition metric, not the loss) picks the best epoch,
 *      drives reduce-on-plateau and early stopping; the resume state is written after the epoch
 *   5. best weights -> checkpoint (model.save, atomic) -> OOF and test predictions
 */
import * as tf from '@tensorflow/tfjs';
import { rmSync } from 'node:fs';
import { ROWS_PER_BREATH } from '../../dataset/index.ts';
import { createRng, deriveSeed, hashJson } from '../../core/index.ts';
import type { ModelDefinition, OutputKind } from '../model-definition.ts';
import { lossFor, type Loss } from '../losses/index.ts';
import { augmentBatch, isAugmenting, oneHotColumns, type OneHotColumns } from './augmentation.ts';
import { epochOrder, gatherBreaths } from './batches.ts';
import type { FoldData, FoldTestData } from './fold-data.ts';
import { saveCheckpoint } from './checkpoints.ts';
import { clipByGlobalNorm } from './clip-gradients.ts';
import { inspiratoryMaeFromMask } from './metrics.ts';
import { AdamOptimizer } from './optimizers.ts';
import { predictBreaths } from './predict.ts';
import { resolveRecipe, type RecipeInput, type TrainingRecipe } from './recipe.ts';
import { readResumeState, writeResumeState, type EpochRecord, type ResumeState } from './resume-state.ts';
import { initialPlateauState, learningRateAt, updatePlateau } from './schedules.ts';

/**
 * Breaths a prediction batch holds at least (the kaggle preset's batches of 512 and 1024 stay as
 * they are). Each batch has a fixed cost (tfjs walks the layer graph, every layer allocates its
 * outputs: about 2.5 ms for the small hybrid, a third of its batch of 32). The predictions do not
 * depend on the batching (test/models/predict-batching.test.ts).
 */
const PREDICT_BATCH_BREATHS = 256;

export interface FitFoldOptions<Config extends object> {
  definition: ModelDefinition<Config>;
  config: Config;
  data: FoldData;
  /** Breath indices (into data) to train on. */
  trainIdx: ArrayLike<number>;
  /** Breath indices to validate on; their predictions are the OOF. */
  validIdx: ArrayLike<number>;
  test?: FoldTestData;
  recipe: RecipeInput;
  seed: number;
  /** Where the best checkpoint is saved (model.json + weights.bin). */
  checkpointDir: string;
  /** Where the resume state lives while training; default `${checkpointDir}.resume`. Removed when the fold ends. */
  resumeDir?: string;
  /** Called after each epoch, once its resume state is written (a throw here stops the run resumably). */
  onEpoch?: (record: EpochRecord) => void | Promise<void>;
}

export interface FoldResult {
  /** [validIdx.length * 80] pressures of the validation breaths, in validIdx order, from the best epoch. */
  oof: Float32Array;
  /** [test.nBreaths * 80] from the best epoch, or null without test data. */
  test: Float32Array | null;
  /** 1-based. */
  bestEpoch: number;
  bestValidMae: number;
  history: EpochRecord[];
  recipe: TrainingRecipe;
}

function checkData(data: FoldData, trainIdx: ArrayLike<number>, validIdx: ArrayLike<number>, test?: FoldTestData): void {
  const rows = data.nBreaths * ROWS_PER_BREATH;
  const expect = (what: string, got: number, want: number) => {
    if (got !== want) throw new Error(`fitFold: ${what} has ${got} values, expected ${want}`);
  };
  expect('data.x', data.x.length, rows * data.nFeatures);
  expect('data.mask', data.mask.length, rows);
  expect('data.target', data.target.length, rows);
  if (data.weight) expect('data.weight', data.weight.length, rows);
  if (data.featureNames) expect('data.featureNames', data.featureNames.length, data.nFeatures);
  if (test) {
    expect('test.x', test.x.length, test.nBreaths * ROWS_PER_BREATH * data.nFeatures);
    expect('test.mask', test.mask.length, test.nBreaths * ROWS_PER_BREATH);
  }
  const seen = new Uint8Array(data.nBreaths);
  for (const [name, idx, flag] of [['trainIdx', trainIdx, 1], ['validIdx', validIdx, 2]] as const) {
    if (idx.length === 0) throw new Error(`fitFold: ${name} is empty`);
    for (let i = 0; i < idx.length; i++) {
      const b = idx[i];
      if (!Number.isInteger(b) || b < 0 || b >= data.nBreaths) throw new Error(`fitFold: ${name}[${i}] = ${b} is not a breath index in 0..${data.nBreaths - 1}`);
      if (seen[b] & 2 || (seen[b] & 1 && flag === 2)) throw new Error(`fitFold: breath ${b} is in validIdx and trainIdx, or twice in validIdx`);
      seen[b] |= flag;
    }
  }
}

async function readAll(tensors: tf.Tensor[]): Promise<Float32Array[]> {
  return Promise.all(tensors.map(async (t) => Float32Array.from(await t.data())));
}

function assignAll(variables: tf.Variable[], values: Float32Array[], what: string): void {
  if (values.length !== variables.length) throw new Error(`resume state holds ${values.length} ${what}, the model has ${variables.length}`);
  tf.tidy(() => variables.forEach((v, i) => v.assign(tf.tensor(values[i], v.shape, v.dtype))));
}

const LOSS_READ_EVERY = 16;

/** Everything one fold's training holds while it runs. */
interface FoldSession {
  recipe: TrainingRecipe;
  model: tf.LayersModel;
  loss: Loss;
  outputKind: OutputKind;
  /** Every model weight (saved and restored); `variables` are the trained ones plus the loss's. */
  modelVariables: tf.Variable[];
  variables: tf.Variable[];
  optimizer: AdamOptimizer;
  inspiratory: Float32Array;
  validTarget: Float32Array;
  validMask: Float32Array;
  columns: OneHotColumns;
  predictOptions: { batchSize: number; levels: TrainingRecipe['levelsDecode'] };
  resumeDir: string;
}

type TrainingState = Omit<ResumeState, 'modelWeights' | 'optimizerMoments' | 'lossVariables'>;

function openSession<Config extends object>(options: FitFoldOptions<Config>): { session: FoldSession; key: string } {
  const { definition, config, data, trainIdx, validIdx, test, seed, checkpointDir } = options;
  const recipe = resolveRecipe(options.recipe);
  checkData(data, trainIdx, validIdx, test);
  const outputKind = definition.outputKind(config);
  const lossDefinition = lossFor(outputKind, recipe.loss);
  const model = definition.build(config, data.nFeatures, deriveSeed(seed, 'init'));
  const loss = lossDefinition.create();
  const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const variables = [...trainable, ...loss.variables];
  const inspiratory = data.mask instanceof Float32Array ? data.mask : Float32Array.from(data.mask);
  const session: FoldSession = {
    recipe,
    model,
    loss,
    outputKind,
    modelVariables: model.weights.map((w) => w.read() as tf.Variable),
    variables,
    optimizer: new AdamOptimizer(recipe.optimizer, variables),
    inspiratory,
    validTarget: gatherBreaths(data.target, validIdx, ROWS_PER_BREATH),
    validMask: gatherBreaths(inspiratory, validIdx, ROWS_PER_BREATH),
    columns: oneHotColumns(data.featureNames ?? []),
    predictOptions: { batchSize: Math.max(recipe.batchSize, PREDICT_BATCH_BREATHS), levels: recipe.levelsDecode },
    resumeDir: options.resumeDir ?? `${checkpointDir}.resume`,
  };
  const key = hashJson({
    model: definition.name,
    config,
    recipe,
    seed,
    nFeatures: data.nFeatures,
    nBreaths: data.nBreaths,
    trainIdx: Array.from(trainIdx),
    validIdx: Array.from(validIdx),
  });
  return { session, key };
}

function closeSession(session: FoldSession): void {
  session.optimizer.dispose();
  session.loss.dispose();
  session.model.dispose();
}

/** The saved state of an interrupted run of the same fold (weights and optimizer restored), or a fresh one. */
function restoreState(session: FoldSession, key: string): TrainingState {
  const saved = readResumeState(session.resumeDir);
  if (!saved) {
    return { key, epochsDone: 0, stopped: false, optimizerStep: 0, bestEpoch: 0, bestValidMae: Infinity, sinceBest: 0, plateau: initialPlateauState(), history: [], bestWeights: [] };
  }
  if (saved.key !== key) {
    throw new Error(`${session.resumeDir}: resume state was written for another model, recipe, seed or split; remove it to start over`);
  }
  assignAll(session.modelVariables, saved.modelWeights, 'model weights');
  assignAll(session.loss.variables, saved.lossVariables, 'loss variables');
  session.optimizer.importState({ step: saved.optimizerStep, moments: saved.optimizerMoments });
  const { modelWeights, optimizerMoments, lossVariables, ...state } = saved;
  return state;
}

/** One pass over the training breaths in the epoch's seeded order; resolves to the mean batch loss. */
async function trainEpoch(session: FoldSession, data: FoldData, trainIdx: ArrayLike<number>, seed: number, epoch: number, state: TrainingState): Promise<number> {
  const { recipe, model, loss, variables, optimizer, inspiratory } = session;
  const f = data.nFeatures;
  const nTrain = trainIdx.length;
  const steps = Math.ceil(nTrain / recipe.batchSize);
  const order = epochOrder(trainIdx, seed, epoch);
  const rng = createRng(seed, 'augment', epoch);
  let lossSum = 0;
  // Batch losses stay on the device and are read LOSS_READ_EVERY at a time: a read waits for the
  // GPU to drain, and on webgpu the next batch is then recorded while nothing runs.
  let unread: tf.Tensor[] = [];
  const readLosses = async () => {
    const values = tf.stack(unread);
    for (const v of await values.data()) lossSum += v;
    tf.dispose([values, ...unread]);
    unread = [];
  };
  for (let s = 0; s < steps; s++) {
    const ids = order.subarray(s * recipe.batchSize, Math.min(nTrain, (s + 1) * recipe.batchSize));
    const n = ids.length;
    const batch = {
      x: gatherBreaths(data.x, ids, ROWS_PER_BREATH * f),
      target: gatherBreaths(data.target, ids, ROWS_PER_BREATH),
      inspiratory: gatherBreaths(inspiratory, ids, ROWS_PER_BREATH),
      weight: data.weight ? gatherBreaths(data.weight, ids, ROWS_PER_BREATH) : undefined,
      n,
      nFeatures: f,
    };
    if (isAugmenting(recipe.augmentation)) augmentBatch(batch, recipe.augmentation, session.columns, rng);
    const lr = learningRateAt(recipe.schedule, recipe.lr, epoch + s / steps, recipe.epochs, state.plateau);
    const value = tf.tidy(() => {
      const x = tf.tensor3d(batch.x, [n, ROWS_PER_BREATH, f]);
      const targets = {
        pressure: tf.tensor2d(batch.target, [n, ROWS_PER_BREATH]),
        inspiratory: tf.tensor2d(batch.inspiratory, [n, ROWS_PER_BREATH]),
        weight: batch.weight ? tf.tensor2d(batch.weight, [n, ROWS_PER_BREATH]) : undefined,
      };
      const { value, grads } = tf.variableGrads(() => loss.compute(targets, model.apply(x, { training: true }) as tf.Tensor3D), variables);
      let ordered = variables.map((v) => grads[v.name] ?? tf.zerosLike(v));
      if (recipe.clipNorm !== null) ordered = clipByGlobalNorm(ordered, recipe.clipNorm);
      optimizer.apply(ordered, lr);
      return value;
    });
    unread.push(value);
    if (unread.length === LOSS_READ_EVERY || s === steps - 1) await readLosses();
    for (const w of model.trainableWeights) {
      const constraint = w.constraint;
      if (constraint) {
        tf.tidy(() => {
          w.write(constraint.apply(w.read()));
        });
      }
    }
  }
  return lossSum / steps;
}

/** The validation inspiratory MAE of the epoch: keeps the best weights, drives the plateau schedule and early stopping. */
async function validateEpoch(session: FoldSession, data: FoldData, validIdx: ArrayLike<number>, epoch: number, state: TrainingState): Promise<{ validMae: number; best: boolean }> {
  const { recipe } = session;
  const oof = await predictBreaths(session.model, session.outputKind, { x: data.x, inspiratory: session.inspiratory, nFeatures: data.nFeatures }, validIdx, session.predictOptions);
  const validMae = inspiratoryMaeFromMask(oof, session.validTarget, session.validMask);
  const best = validMae < state.bestValidMae;
  if (best) {
    state.bestValidMae = validMae;
    state.bestEpoch = epoch + 1;
    state.sinceBest = 0;
    state.bestWeights = await readAll(session.modelVariables);
  } else {
    state.sinceBest++;
  }
  state.plateau = updatePlateau(recipe.schedule, recipe.lr, state.plateau, validMae);
  state.epochsDone = epoch + 1;
  state.stopped = recipe.patience !== null && state.sinceBest >= recipe.patience;
  state.optimizerStep = session.optimizer.step;
  return { validMae, best };
}

/** Writes the resume state every `resumeEvery` epochs, after the last and when stopping early. */
async function saveState(session: FoldSession, state: TrainingState): Promise<void> {
  const { recipe } = session;
  if (state.epochsDone % recipe.resumeEvery !== 0 && state.epochsDone !== recipe.epochs && !state.stopped) return;
  const optimizerState = await session.optimizer.exportState();
  writeResumeState(session.resumeDir, {
    ...state,
    modelWeights: await readAll(session.modelVariables),
    optimizerMoments: optimizerState.moments,
    lossVariables: await readAll(session.loss.variables),
  });
}

export async function fitFold<Config extends object>(options: FitFoldOptions<Config>): Promise<FoldResult> {
  const { data, trainIdx, validIdx, test, seed, checkpointDir } = options;
  const { session, key } = openSession(options);
  const { recipe, model, outputKind, predictOptions } = session;
  try {
    const state = restoreState(session, key);
    for (let epoch = state.epochsDone; epoch < recipe.epochs && !state.stopped; epoch++) {
      const started = performance.now();
      const firstLr = learningRateAt(recipe.schedule, recipe.lr, epoch, recipe.epochs, state.plateau);
      const trainLoss = await trainEpoch(session, data, trainIdx, seed, epoch, state);
      const { validMae, best } = await validateEpoch(session, data, validIdx, epoch, state);
      const record: EpochRecord = { epoch: epoch + 1, lr: firstLr, trainLoss, validMae, best, seconds: (performance.now() - started) / 1000 };
      state.history = [...state.history, record];
      await saveState(session, state);
      await options.onEpoch?.(record);
    }

    // The best epoch's weights make the checkpoint and the predictions.
    if (state.bestWeights.length === 0) throw new Error('fitFold: no epoch produced a finite validation MAE');
    assignAll(session.modelVariables, state.bestWeights, 'best weights');
    await saveCheckpoint(model, checkpointDir);
    const oof = await predictBreaths(model, outputKind, { x: data.x, inspiratory: session.inspiratory, nFeatures: data.nFeatures }, validIdx, predictOptions);
    let testPred: Float32Array | null = null;
    if (test) {
      const all = Int32Array.from({ length: test.nBreaths }, (_, i) => i);
      testPred = await predictBreaths(model, outputKind, { x: test.x, inspiratory: test.mask, nFeatures: data.nFeatures }, all, predictOptions);
    }
    rmSync(session.resumeDir, { recursive: true, force: true });
    return { oof, test: testPred, bestEpoch: state.bestEpoch, bestValidMae: state.bestValidMae, history: state.history, recipe };
  } finally {
    closeSession(session);
  }
}
