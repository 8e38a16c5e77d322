/**
 * The `kaggle` preset trains each model with the recipe its authors published (docs/fidelity.md,
 * "The recipe"). Expected values are the published ones, written out here from the sources, not
 * read back from the preset.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadPreset, planRun } from '../../pipeline/index.ts';

const plan = planRun(loadPreset('kaggle'), 'kaggle');
const planned = (name: string) => {
  const m = plan.models.find((p) => p.definition.name === name);
  assert.ok(m, `kaggle preset trains ${name}`);
  return m;
};
const recipeOf = (name: string) => planned(name).recipe;
const resolveModelConfig = (name: string) => planned(name).config;

describe('kaggle preset: the published recipes', () => {
  it('bilstm: the public Keras notebook (300 epochs, batch 1024, Adam 1e-3, plateau 0.5/10, early stop 60, MAE)', () => {
    const r = recipeOf('bilstm');
    assert.equal(r.epochs, 300);
    assert.equal(r.batchSize, 1024);
    assert.equal(r.lr, 1e-3);
    assert.deepEqual(r.optimizer, { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    assert.equal(r.schedule.kind, 'plateau');
    assert.deepEqual(
      r.schedule.kind === 'plateau' && { factor: r.schedule.factor, patience: r.schedule.patience, minLr: r.schedule.minLr },
      { factor: 0.5, patience: 10, minLr: 0 },
    );
    assert.equal(r.patience, 60);
    assert.equal(r.loss, 'mae');
    assert.deepEqual(resolveModelConfig('bilstm'), { units: [1024, 512, 256, 128], denseUnits: 128, levels: false });
  });

  it('lstm-raw: the 1st place raw LSTM (AdamW 2e-3, weight decay 0.1, plateau 0.6/30 to 1e-5, batch 512, 500-600 epochs)', () => {
    const r = recipeOf('lstm-raw');
    assert.equal(r.epochs, 600);
    assert.equal(r.batchSize, 512);
    assert.equal(r.lr, 2e-3);
    assert.equal(r.optimizer.kind, 'adamw');
    assert.equal(r.optimizer.kind === 'adamw' && r.optimizer.weightDecay, 0.1);
    assert.equal(r.optimizer.epsilon, 1e-8);
    assert.deepEqual(
      r.schedule.kind === 'plateau' && { factor: r.schedule.factor, patience: r.schedule.patience, minLr: r.schedule.minLr },
      { factor: 0.6, patience: 30, minLr: 1e-5 },
    );
    assert.equal(r.loss, null, 'the default loss of two heads: 0.5 MAE(inspiration) + 0.5 MAE(expiration)');
    assert.deepEqual(resolveModelConfig('lstm-raw'), { units: 512, layers: 4, denseUnits: 512 });
  });

  it('lstm-cnn-transformer: the 1st place hybrid (150 epochs, batch 128, cosine decay in the last quarter, no early stop)', () => {
    const r = recipeOf('lstm-cnn-transformer');
    assert.equal(r.epochs, 150);
    assert.equal(r.batchSize, 128);
    assert.equal(r.schedule.kind, 'cosine');
    assert.equal(r.schedule.kind === 'cosine' && r.schedule.decayFraction, 0.25);
    assert.equal(r.patience, null, 'a fixed-length schedule: stopping early would skip the decay');
    assert.equal(r.loss, null, 'the default loss of a pressure output: masked MAE');
  });

  it('10 folds, median over folds', () => {
    assert.equal(plan.config.folds.k, 10);
    assert.equal(plan.config.blend.folds, 'median');
  });
});
