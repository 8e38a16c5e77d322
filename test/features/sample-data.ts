/** Small simulated breath tables for the feature and fold tests. */
import { simulateDataset } from '../../simulator/simulator.ts';
import type { BreathTable } from '../../dataset/index.ts';

export function sampleTrain(breaths: number, seed = 7): BreathTable {
  return simulateDataset({ breaths, testBreaths: 1, seed }).train;
}

export function sampleTest(breaths: number, seed = 7): BreathTable {
  const { test } = simulateDataset({ breaths: 1, testBreaths: breaths, seed });
  return { ...test, pressure: null };
}

/** Copy of a table (all columns), so a test can perturb it without touching the original. */
export function cloneTable(table: BreathTable): BreathTable {
  return {
    nBreaths: table.nBreaths,
    breathId: table.breathId.slice(),
    R: table.R.slice(),
    C: table.C.slice(),
    id: table.id.slice(),
    timeStep: table.timeStep.slice(),
    uIn: table.uIn.slice(),
    uOut: table.uOut.slice(),
    pressure: table.pressure ? table.pressure.slice() : null,
  };
}
