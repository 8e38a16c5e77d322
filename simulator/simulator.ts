/**
 * The built-in ventilator simulator: a train and a test set shaped like Kaggle's, from one seed.
 *
 * Breath ids increase over the two files together, with occasional gaps, and each breath goes to
 * train or test at random (as in the competition). Each breath draws from its own generator,
 * seeded by its breath id, so its rows do not depend on how many other breaths were asked for.
 * The model (controller, residuals, lung) is described in docs/simulator.md.
 */
import { ROWS_PER_BREATH, allocateBreathTable, type BreathTable } from '../dataset/breath-table.ts';
import { createRng } from '../core/seed.ts';
import { drawBreathSettings, drawTimeSteps, runBreath, type BreathSettings } from './breath.ts';
import { DEFAULT_LUNG, type LungModel } from './lung.ts';

export interface SimulateOptions {
  /** Training breaths. */
  breaths: number;
  /** Test breaths (their pressure is kept as the answers). */
  testBreaths: number;
  seed: number;
  /** Lung and valve constants; DEFAULT_LUNG unless calibrating. */
  lung?: LungModel;
}

/** The hidden settings of one generated breath. */
export interface BreathTruth extends BreathSettings {
  breathId: number;
}

export interface SimulatedDataset {
  train: BreathTable;
  /** Test breaths, pressure included: drop it to make the test file, keep it as the answers. */
  test: BreathTable;
}

export interface SimulatedDatasetWithTruth extends SimulatedDataset {
  /** Settings of each breath, in table order. */
  truth: { train: BreathTruth[]; test: BreathTruth[] };
}

/** Chance that a breath id is skipped after each breath. */
const ID_GAP_CHANCE = 0.02;

export function simulateDataset(options: SimulateOptions): SimulatedDataset;
export function simulateDataset(options: SimulateOptions, extra: { withTruth: true }): SimulatedDatasetWithTruth;
export function simulateDataset(options: SimulateOptions, extra?: { withTruth: boolean }): SimulatedDataset | SimulatedDatasetWithTruth {
  const { breaths, testBreaths, seed } = options;
  checkCount('breaths', breaths, 1);
  checkCount('testBreaths', testBreaths, 0);
  if (!Number.isInteger(seed)) throw new Error(`simulateDataset: seed must be an integer, got ${seed}`);
  const lung = options.lung ?? DEFAULT_LUNG;

  const train = allocateBreathTable(breaths, true);
  const test = allocateBreathTable(testBreaths, true);
  const truth = { train: [] as BreathTruth[], test: [] as BreathTruth[] };
  const layout = createRng(seed, 'simulator', 'layout');
  let breathId = 0;
  let nTrain = 0;
  let nTest = 0;
  while (nTrain + nTest < breaths + testBreaths) {
    breathId += layout() < ID_GAP_CHANCE ? 2 : 1;
    // Drawing with the remaining counts as odds gives exact totals with a uniform interleaving.
    const toTrain = layout() * (breaths - nTrain + testBreaths - nTest) < breaths - nTrain;
    const table = toTrain ? train : test;
    const b = toTrain ? nTrain++ : nTest++;
    const settings = simulateInto(table, b, breathId, seed, lung);
    if (extra?.withTruth) (toTrain ? truth.train : truth.test).push({ breathId, ...settings });
  }
  numberRows(train);
  numberRows(test);
  return extra?.withTruth ? { train, test, truth } : { train, test };
}

function simulateInto(table: BreathTable, b: number, breathId: number, seed: number, lung: LungModel): BreathSettings {
  const rng = createRng(seed, 'simulator', 'breath', breathId);
  const settings = drawBreathSettings(rng, lung);
  const offset = b * ROWS_PER_BREATH;
  table.breathId[b] = breathId;
  table.R[b] = settings.R;
  table.C[b] = settings.C;
  drawTimeSteps(rng, table.timeStep, offset);
  runBreath(settings, table.timeStep, { uIn: table.uIn, uOut: table.uOut, pressure: table.pressure! }, offset, lung);
  return settings;
}

/** Row ids are 1-based and consecutive within each file, in breath order. */
function numberRows(table: BreathTable): void {
  for (let i = 0; i < table.id.length; i++) table.id[i] = i + 1;
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`simulateDataset: ${name} must be an integer >= ${min}, got ${value}`);
  }
}
