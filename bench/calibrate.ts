/**
 * Prints the simulator's summary statistics next to the real training data's (docs/ventilator.md
 * section 2): the table published in docs/simulator.md.
 *
 *   node --import tsx bench/calibrate.ts [--breaths 20000] [--seed 2021]
 */
import { parseArgs } from 'node:util';
import { describeBreaths, simulateDataset, REAL_STATISTICS, type BreathStatistics } from '../simulator/index.ts';

const { values } = parseArgs({
  options: {
    breaths: { type: 'string', default: '20000' },
    seed: { type: 'string', default: '2021' },
  },
});
const breaths = Number(values.breaths);
const seed = Number(values.seed);

const started = performance.now();
const { train } = simulateDataset({ breaths, testBreaths: 0, seed });
const seconds = (performance.now() - started) / 1000;
const generated = describeBreaths(train);

const LABELS: Record<keyof BreathStatistics, string> = {
  inspiratoryRowsPerBreath: 'rows with u_out = 0 per breath',
  pressureMean: 'pressure, all rows: mean',
  pressureSd: 'pressure, all rows: sd',
  pressureQ1: 'pressure, all rows: Q1',
  pressureMedian: 'pressure, all rows: median',
  pressureQ3: 'pressure, all rows: Q3',
  inspiratoryPressureMean: 'pressure, inspiratory: mean',
  inspiratoryPressureSd: 'pressure, inspiratory: sd',
  inspiratoryPressureQ1: 'pressure, inspiratory: Q1',
  inspiratoryPressureMedian: 'pressure, inspiratory: median',
  inspiratoryPressureQ3: 'pressure, inspiratory: Q3',
  expiratoryPressureMean: 'pressure, expiratory: mean',
  expiratoryPressureMedian: 'pressure, expiratory: median',
  inspiratoryUInMean: 'u_in, inspiratory: mean',
  inspiratoryUInSd: 'u_in, inspiratory: sd',
  inspiratoryUInQ1: 'u_in, inspiratory: Q1',
  inspiratoryUInMedian: 'u_in, inspiratory: median',
  inspiratoryUInQ3: 'u_in, inspiratory: Q3',
  expiratoryUInMean: 'u_in, expiratory: mean',
  expiratoryUInQ1: 'u_in, expiratory: Q1',
  expiratoryUInMedian: 'u_in, expiratory: median',
  expiratoryUInQ3: 'u_in, expiratory: Q3',
  negativePressureShare: 'share of rows with pressure < 0',
  shareR5: 'share of breaths with R = 5',
  shareR20: 'share of breaths with R = 20',
  shareR50: 'share of breaths with R = 50',
  timeStepMax: 'time_step max',
};

const format = (x: number) => (Math.abs(x) < 0.01 && x !== 0 ? x.toExponential(2) : x.toFixed(3));
console.log(`${breaths} simulated breaths (seed ${seed}) in ${seconds.toFixed(2)} s\n`);
console.log('| quantity | real | generated | error / max(real, 1) |');
console.log('|---|---|---|---|');
for (const key of Object.keys(LABELS) as (keyof BreathStatistics)[]) {
  const real = REAL_STATISTICS[key];
  const error = (generated[key] - real) / Math.max(Math.abs(real), 1);
  console.log(`| ${LABELS[key]} | ${format(real)} | ${format(generated[key])} | ${(error * 100).toFixed(1)}% |`);
}
