/**
 * Training predicts in batches of at least 256 breaths whatever the training batch
 * (models/training/fit-fold.ts): that is only a speed choice if every model's prediction of a
 * breath does not depend on which breaths share its batch. Checked for every registered model's
 * `small` config on each CPU path, through predictBreaths itself.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ROWS_PER_BREATH } from '../../dataset/index.ts';
import { createRng } from '../../core/seed.ts';
import { selectBackend, type BackendName } from '../../models/backend.ts';
import { getModel, listModels } from '../../models/registry.ts';
import { predictBreaths } from '../../models/training/index.ts';
import { withLayerKernels } from './layer-kernels-env.ts';

const BREATHS = 70;
const FEATURES = 50;

const PATHS: { backend: BackendName; layerKernels?: 'ops' }[] = [{ backend: 'wasm' }, { backend: 'wasm', layerKernels: 'ops' }, { backend: 'cpu' }];

describe('predictions do not depend on the batching', () => {
  const rng = createRng(5, 'predict batching');
  const x = Float32Array.from({ length: BREATHS * ROWS_PER_BREATH * FEATURES }, () => 2 * rng() - 1);
  const inspiratory = Float32Array.from({ length: BREATHS * ROWS_PER_BREATH }, (_, i) => (i % ROWS_PER_BREATH < 30 ? 1 : 0));
  // Every other breath, backwards: batches that mix breaths differently from their order.
  const breaths = Int32Array.from({ length: BREATHS / 2 }, (_, i) => BREATHS - 1 - 2 * i);
  for (const path of PATHS) {
    test(`${path.backend}${path.layerKernels ? ' (tf-ops layers)' : ''}: batches of 35 and of 4 give the same bits`, async () => {
      await selectBackend(path.backend);
      await withLayerKernels(path.layerKernels, async () => {
        for (const name of listModels()) {
          const definition = getModel(name);
          const model = definition.build(definition.small, FEATURES, 11);
          const predict = (batchSize: number) =>
            predictBreaths(model, definition.outputKind(definition.small), { x, inspiratory, nFeatures: FEATURES }, breaths, { batchSize, levels: 'expected' });
          const whole = await predict(breaths.length);
          const pieces = await predict(4);
          assert.ok(whole.some((v) => v !== 0), `${name}: predicts something`);
          assert.deepEqual(Buffer.from(pieces.buffer), Buffer.from(whole.buffer), name);
          model.dispose();
        }
      });
    });
  }
});
