// Per-row loss weights (pseudo-labelled rows): every registered loss honours them the same way.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { PRESSURE_LEVELS, createRng } from '../../core/index.ts';
import { ROWS_PER_BREATH } from '../../dataset/index.ts';
import { simulateDataset } from '../../simulator/simulator.ts';
import { getLoss, listLosses, type LossDefinition } from '../../models/losses/index.ts';
import type { OutputKind } from '../../models/model-definition.ts';

await tf.setBackend('cpu');

const CHANNELS: Record<OutputKind, number> = { pressure: 1, 'two-head': 2, 'multi-target': 3, levels: PRESSURE_LEVELS };
const BREATHS = 4;
const ROWS = BREATHS * ROWS_PER_BREATH;
const sim = simulateDataset({ breaths: BREATHS, testBreaths: 0, seed: 5 }).train;
const pressure = Float32Array.from(sim.pressure!);
const inspiratory = Float32Array.from(sim.uOut, (u) => 1 - u);

function prediction(kind: OutputKind): Float32Array {
  const rng = createRng(7, 'pred', kind);
  const c = CHANNELS[kind];
  return Float32Array.from({ length: ROWS * c }, (_, i) => (kind === 'levels' ? 4 * rng() : pressure[Math.floor(i / c)] + 4 * (rng() - 0.5)));
}

function lossValue(definition: LossDefinition, kind: OutputKind, target: Float32Array, pred: Float32Array, weight?: Float32Array): number {
  const loss = definition.create();
  try {
    return tf.tidy(() => {
      const targets = {
        pressure: tf.tensor2d(target, [BREATHS, ROWS_PER_BREATH]),
        inspiratory: tf.tensor2d(inspiratory, [BREATHS, ROWS_PER_BREATH]),
        weight: weight ? tf.tensor2d(weight, [BREATHS, ROWS_PER_BREATH]) : undefined,
      };
      return loss.compute(targets, tf.tensor3d(pred, [BREATHS, ROWS_PER_BREATH, CHANNELS[kind]])).dataSync()[0];
    });
  } finally {
    loss.dispose();
  }
}

/** Weight `w` on breath 0's rows, 1 on the others. */
const firstBreathWeighs = (w: number) => Float32Array.from({ length: ROWS }, (_, i) => (i < ROWS_PER_BREATH ? w : 1));

describe('per-row loss weights', () => {
  for (const definition of listLosses()) {
    for (const kind of definition.outputKinds) {
      it(`${definition.name} (${kind}): weights of 1 change nothing; rows weighing 0 do not count`, () => {
        const pred = prediction(kind);
        const plain = lossValue(definition, kind, pressure, pred);
        assert.ok(Math.abs(lossValue(definition, kind, pressure, pred, new Float32Array(ROWS).fill(1)) - plain) < 1e-5 * Math.max(1, plain));
        const weight = firstBreathWeighs(0);
        const base = lossValue(definition, kind, pressure, pred, weight);
        const moved = pressure.slice();
        for (let r = 0; r < ROWS_PER_BREATH; r++) moved[r] += 5;
        assert.ok(Math.abs(lossValue(definition, kind, moved, pred, weight) - base) < 1e-5 * Math.max(1, base));
        assert.notEqual(lossValue(definition, kind, moved, pred), plain, 'breath 0 counts without weights');
      });
    }
  }

  it('masked-mae is the weighted mean of inspiratory absolute errors', () => {
    const pred = prediction('pressure');
    const weight = firstBreathWeighs(0.25);
    let sum = 0;
    let total = 0;
    for (let i = 0; i < ROWS; i++) {
      sum += weight[i] * inspiratory[i] * Math.abs(pred[i] - pressure[i]);
      total += weight[i] * inspiratory[i];
    }
    const got = lossValue(getLoss('masked-mae'), 'pressure', pressure, pred, weight);
    assert.ok(Math.abs(got - sum / total) < 1e-4, `${got} vs ${sum / total}`);
  });
});
