import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { PRESSURE_LEVELS, createRng, pressureLevel } from '../../core/index.ts';
import { ROWS_PER_BREATH } from '../../dataset/index.ts';
import { simulateDataset } from '../../simulator/simulator.ts';
import { DEFAULT_LOSS, getLoss, listLosses, lossFor, registerLoss, targetLevels, type LossDefinition } from '../../models/losses/index.ts';
import type { OutputKind } from '../../models/model-definition.ts';

await tf.setBackend('cpu');

const CHANNELS: Record<OutputKind, number> = { pressure: 1, 'two-head': 2, 'multi-target': 3, levels: PRESSURE_LEVELS };
const BREATHS = 4;
const ROWS = BREATHS * ROWS_PER_BREATH;

/** Pressure and inspiratory mask of a few simulated breaths. */
const sim = simulateDataset({ breaths: BREATHS, testBreaths: 0, seed: 11 }).train;
const pressure = Float32Array.from(sim.pressure!);
const inspiratory = Float32Array.from(sim.uOut, (u) => 1 - u);

function predictions(kind: OutputKind, seed: number): Float32Array {
  const rng = createRng(seed, 'pred', kind);
  const c = CHANNELS[kind];
  return Float32Array.from({ length: ROWS * c }, (_, i) => (kind === 'levels' ? 4 * rng() : pressure[Math.floor(i / c)] + 4 * (rng() - 0.5)));
}

function lossValue(definition: LossDefinition, kind: OutputKind, target: Float32Array, pred: Float32Array, mask = inspiratory): number {
  const loss = definition.create();
  try {
    return tf.tidy(() =>
      loss
        .compute(
          { pressure: tf.tensor2d(target, [BREATHS, ROWS_PER_BREATH]), inspiratory: tf.tensor2d(mask, [BREATHS, ROWS_PER_BREATH]) },
          tf.tensor3d(pred, [BREATHS, ROWS_PER_BREATH, CHANNELS[kind]]),
        )
        .dataSync()[0],
    );
  } finally {
    loss.dispose();
  }
}

describe('losses', () => {
  for (const definition of listLosses()) {
    for (const kind of definition.outputKinds) {
      it(`${definition.name} (${kind}): finite, and sensitive to inspiratory targets`, () => {
        const pred = predictions(kind, 1);
        const base = lossValue(definition, kind, pressure, pred);
        assert.ok(Number.isFinite(base) && base > 0, `loss ${base}`);
        const changed = pressure.slice();
        for (let i = 0; i < ROWS; i++) if (inspiratory[i]) changed[i] += 3;
        assert.notEqual(lossValue(definition, kind, changed, pred), base);
      });
      if (definition.inspiratoryOnly) {
        it(`${definition.name} (${kind}): expiratory targets and predictions do not change it`, () => {
          const pred = predictions(kind, 2);
          const base = lossValue(definition, kind, pressure, pred);
          const rng = createRng(3, 'exp');
          const target = pressure.slice();
          const pred2 = pred.slice();
          const c = CHANNELS[kind];
          for (let i = 0; i < ROWS; i++) {
            if (inspiratory[i]) continue;
            target[i] = 50 * rng();
            for (let k = 0; k < c; k++) pred2[i * c + k] = 50 * rng();
          }
          assert.equal(lossValue(definition, kind, target, pred2), base);
        });
      }
    }
  }

  it('two-head-mae matches a hand computation', () => {
    // One breath: rows 0-1 inspiratory, the rest expiratory.
    const target = new Float32Array(ROWS_PER_BREATH).fill(5);
    target[0] = 10;
    target[1] = 20;
    const mask = new Float32Array(ROWS_PER_BREATH);
    mask[0] = mask[1] = 1;
    const pred = new Float32Array(ROWS_PER_BREATH * 2);
    for (let r = 0; r < ROWS_PER_BREATH; r++) {
      pred[r * 2] = 100; // inspiratory head: wrong everywhere, only rows 0-1 count
      pred[r * 2 + 1] = 5; // expiratory head: exact on expiratory rows
    }
    pred[0] = 11; // |11 - 10| = 1
    pred[2] = 17; // |17 - 20| = 3
    pred[79 * 2 + 1] = 9; // one expiratory row off by 4, of 78
    const loss = getLoss('two-head-mae').create();
    const value = tf.tidy(() =>
      loss
        .compute(
          { pressure: tf.tensor2d(target, [1, ROWS_PER_BREATH]), inspiratory: tf.tensor2d(mask, [1, ROWS_PER_BREATH]) },
          tf.tensor3d(pred, [1, ROWS_PER_BREATH, 2]),
        )
        .dataSync()[0],
    );
    assert.ok(Math.abs(value - (0.5 * ((1 + 3) / 2) + 0.5 * (4 / 78))) < 1e-6, `got ${value}`);
  });

  it('mae (the Keras notebooks\' loss) averages every row: an expiratory error counts 1/320', () => {
    const pred = pressure.slice();
    const expiratoryRow = inspiratory.indexOf(0);
    pred[expiratoryRow] += 3.2;
    const value = lossValue(getLoss('mae'), 'pressure', pressure, pred);
    assert.ok(Math.abs(value - 3.2 / ROWS) < 1e-6, `got ${value}`);
    assert.equal(lossValue(getLoss('masked-mae'), 'pressure', pressure, pred), 0);
  });

  it('mae-with-diffs: a constant offset has zero difference error', () => {
    const pred = Float32Array.from(pressure, (p) => p + 0.75);
    const withDiffs = lossValue(getLoss('mae-with-diffs'), 'pressure', pressure, pred);
    assert.ok(Math.abs(withDiffs - 0.75) < 1e-5, `got ${withDiffs}`);
    const plain = lossValue(getLoss('masked-mae'), 'pressure', pressure, pred);
    assert.ok(Math.abs(plain - 0.75) < 1e-5);
  });

  it('multi-target-mae is 0 on exact pressure/diff/cumsum and weighs the cumsum by 1/80', () => {
    const pred = new Float32Array(ROWS * 3);
    for (let b = 0; b < BREATHS; b++) {
      let sum = 0;
      for (let r = 0; r < ROWS_PER_BREATH; r++) {
        const i = b * ROWS_PER_BREATH + r;
        sum += pressure[i];
        pred[i * 3] = pressure[i];
        pred[i * 3 + 1] = r === 0 ? 0 : pressure[i] - pressure[i - 1];
        pred[i * 3 + 2] = sum;
      }
    }
    assert.ok(lossValue(getLoss('multi-target-mae'), 'multi-target', pressure, pred) < 1e-4);
    for (let i = 0; i < ROWS; i++) pred[i * 3 + 2] += 8;
    const shifted = lossValue(getLoss('multi-target-mae'), 'multi-target', pressure, pred);
    assert.ok(Math.abs(shifted - 8 / 80) < 1e-3, `got ${shifted}`);
  });

  it('levels-cross-entropy matches a hand log-softmax, and targetLevels matches pressureLevel', () => {
    const levels = tf.tidy(() => targetLevels(tf.tensor2d(pressure, [BREATHS, ROWS_PER_BREATH])).dataSync());
    for (let i = 0; i < ROWS; i++) assert.equal(levels[i], pressureLevel(pressure[i]));
    const edge = tf.tidy(() => targetLevels(tf.tensor2d([[-50, 500]])).dataSync());
    assert.deepEqual(Array.from(edge), [0, PRESSURE_LEVELS - 1]);

    // Logits 0 everywhere except 2 at each row's true level: -log(e^2 / (e^2 + 949)).
    const pred = new Float32Array(ROWS * PRESSURE_LEVELS);
    for (let i = 0; i < ROWS; i++) pred[i * PRESSURE_LEVELS + pressureLevel(pressure[i])] = 2;
    const value = lossValue(getLoss('levels-cross-entropy'), 'levels', pressure, pred);
    const expected = -Math.log(Math.exp(2) / (Math.exp(2) + PRESSURE_LEVELS - 1));
    assert.ok(Math.abs(value - expected) < 1e-4, `got ${value}, expected ${expected}`);
  });

  it('laplace-nll holds a trainable [80] log-scale; at scale 1 it is the masked MAE', () => {
    const pred = predictions('pressure', 4);
    const laplace = lossValue(getLoss('laplace-nll'), 'pressure', pressure, pred);
    const mae = lossValue(getLoss('masked-mae'), 'pressure', pressure, pred);
    assert.ok(Math.abs(laplace - mae) < 1e-5);
    const loss = getLoss('laplace-nll').create();
    try {
      assert.equal(loss.variables.length, 1);
      assert.deepEqual(loss.variables[0].shape, [ROWS_PER_BREATH]);
      const { grads } = tf.variableGrads(
        () =>
          loss.compute(
            { pressure: tf.tensor2d(pressure, [BREATHS, ROWS_PER_BREATH]), inspiratory: tf.tensor2d(inspiratory, [BREATHS, ROWS_PER_BREATH]) },
            tf.tensor3d(pred, [BREATHS, ROWS_PER_BREATH, 1]),
          ),
        loss.variables,
      );
      const g = grads[loss.variables[0].name].dataSync();
      // Rows never inspiratory get no gradient; the first row always does.
      assert.notEqual(g[0], 0);
      assert.equal(g[ROWS_PER_BREATH - 1], 0);
      tf.dispose(grads);
    } finally {
      loss.dispose();
    }
  });

  it('registry: duplicate names throw, defaults fit their kind, mismatched kinds throw', () => {
    assert.throws(() => registerLoss(getLoss('masked-mae')), /already registered/);
    for (const [kind, name] of Object.entries(DEFAULT_LOSS)) assert.equal(lossFor(kind as OutputKind).name, name);
    assert.throws(() => lossFor('two-head', 'masked-mae'), /does not fit output kind 'two-head'/);
    assert.throws(() => getLoss('nope'), /unknown loss 'nope'/);
  });
});
