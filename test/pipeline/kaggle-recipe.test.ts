/**
 * The `kaggle` preset trains each model with the recipe its authors published (docs/fidelity.md,
 * "The recipe"). Expected values are the published ones, written out here from the sources, not
 * read back from the preset.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { columnNames, resolveFeatures } from '../../features/index.ts';
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

  // whoknowsB/google-brain-ventilator-pressure-prediction: configs/experiment/cloudy.yaml (max_epochs
  // 1024, AdamW 2e-3 / 0.1, plateau 0.6 / 30 / 1e-5, batch 512), configs/callbacks/default.yaml
  // (EarlyStopping patience 64 on valid/mae), torch.optim.AdamW's eps 1e-8.
  it('lstm-raw: the 1st place raw LSTM (AdamW 2e-3, weight decay 0.1, plateau 0.6/30 to 1e-5, batch 512, up to 1024 epochs, early stop 64)', () => {
    const r = recipeOf('lstm-raw');
    assert.equal(r.epochs, 1024);
    assert.equal(r.patience, 64);
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

  // Shujun-He/Google-Brain-Ventilator: run.sh (150 epochs, batch 128, 10 folds, embed 256, 16 heads,
  // 3 + 3 blocks, dropout 0), run.py (Ranger lr 8e-4; CosineAnnealingLR to 0 after epoch
  // int(0.75 * epochs); L1 on u_out == 0 rows; the best validation epoch kept, no early stop),
  // Functions.py add_features (37 columns). Ranger's inner Adam: betas (0.95, 0.999), eps 1e-5.
  it('lstm-cnn-transformer: the 1st place hybrid (150 epochs, batch 128, lr 8e-4, cosine to 0 in the last quarter, no early stop, its 37 features)', () => {
    const r = recipeOf('lstm-cnn-transformer');
    assert.equal(r.epochs, 150);
    assert.equal(r.batchSize, 128);
    assert.equal(r.lr, 8e-4);
    assert.deepEqual(r.optimizer, { kind: 'adam', beta1: 0.95, beta2: 0.999, epsilon: 1e-5 });
    assert.deepEqual(r.schedule, { kind: 'cosine', decayFraction: 0.25, minLr: 0 });
    assert.equal(r.patience, null, 'a fixed-length schedule: stopping early would skip the decay');
    assert.equal(r.loss, null, 'the default loss of a pressure output: masked MAE');
    assert.deepEqual(resolveModelConfig('lstm-cnn-transformer'), {
      width: 256, lstmBlocks: 3, lstmUnits: 256, lstmFfnUnits: 1024, convKernels: [5, 3, 1], heads: 16, ffnUnits: 1024,
    });
    const m = planned('lstm-cnn-transformer');
    assert.equal(m.featureSet, 'first-place-hybrid');
    // add_features leaves 22 numeric columns and get_dummies 3 + 3 + 9 one-hots.
    assert.equal(columnNames(resolveFeatures(m.featureSet)).length, 37);
  });

  it('10 folds, median over folds', () => {
    assert.equal(plan.config.folds.k, 10);
    assert.equal(plan.config.blend.folds, 'median');
  });
});
