import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { C_VALUES, R_VALUES, ROWS_PER_BREATH } from '../../dataset/breath-table.ts';
import { pressureLevel } from '../../core/pressure-grid.ts';
import { simulateDataset } from '../../simulator/simulator.ts';
import { getModel, listModels, registerModel } from '../../models/registry.ts';
import { outputChannels } from '../../models/architectures/output-head.ts';
import { selectBackend } from '../../models/backend.ts';
import type { ModelDefinition, OutputKind } from '../../models/model-definition.ts';

/** Raw per-row inputs: time_step, u_in / 100, u_out, one-hot R, one-hot C. */
const FEATURES = 9;
const BREATHS = 4;

interface Batch {
  x: tf.Tensor3D;
  pressure: tf.Tensor2D;
  levels: tf.Tensor2D;
  inspiratory: tf.Tensor2D;
}

function simulatedBatch(seed: number): Batch {
  const { train } = simulateDataset({ breaths: BREATHS, testBreaths: 0, seed });
  const rows = BREATHS * ROWS_PER_BREATH;
  const x = new Float32Array(rows * FEATURES);
  const levels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const b = Math.floor(i / ROWS_PER_BREATH);
    const f = x.subarray(i * FEATURES, (i + 1) * FEATURES);
    f[0] = train.timeStep[i];
    f[1] = train.uIn[i] / 100;
    f[2] = train.uOut[i];
    f[3 + R_VALUES.indexOf(train.R[b] as 5)] = 1;
    f[6 + C_VALUES.indexOf(train.C[b] as 10)] = 1;
    levels[i] = pressureLevel(train.pressure![i]);
  }
  return {
    x: tf.tensor3d(x, [BREATHS, ROWS_PER_BREATH, FEATURES]),
    pressure: tf.tensor2d(Float32Array.from(train.pressure!), [BREATHS, ROWS_PER_BREATH]),
    levels: tf.tensor2d(levels, [BREATHS, ROWS_PER_BREATH], 'int32'),
    inspiratory: tf.tensor2d(Float32Array.from(train.uOut, (u) => 1 - u), [BREATHS, ROWS_PER_BREATH]),
  };
}

/** Masked loss on inspiratory rows: MAE of channel 0, or cross-entropy over levels. */
function inspiratoryLoss(output: tf.Tensor, batch: Batch, kind: OutputKind): tf.Scalar {
  return tf.tidy(() => {
    const perRow =
      kind === 'levels'
        ? tf.neg(tf.sum(tf.mul(tf.logSoftmax(output), tf.oneHot(batch.levels, outputChannels('levels'))), -1))
        : tf.abs(tf.sub(tf.squeeze(tf.slice(output, [0, 0, 0], [-1, -1, 1]), [2]), batch.pressure));
    return tf.div(tf.sum(tf.mul(perRow, batch.inspiratory)), tf.sum(batch.inspiratory)) as tf.Scalar;
  });
}

/** Adam steps on one batch; returns the loss before the first and after the last step. */
function train(model: tf.LayersModel, batch: Batch, kind: OutputKind, steps: number): { first: number; last: number } {
  const optimizer = tf.train.adam(0.01);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const loss = () => inspiratoryLoss(model.apply(batch.x, { training: true }) as tf.Tensor, batch, kind);
  const first = tf.tidy(() => loss().dataSync()[0]);
  for (let i = 0; i < steps; i++) optimizer.minimize(loss, false, variables);
  const last = tf.tidy(() => loss().dataSync()[0]);
  optimizer.dispose();
  return { first, last };
}

/** The small config of each registered model, plus its classification variant where it has one. */
function variants(definition: ModelDefinition): { label: string; config: object }[] {
  const out = [{ label: `${definition.name} (small)`, config: definition.small }];
  if ('levels' in definition.small) {
    out.push({ label: `${definition.name} (small, levels)`, config: { ...definition.small, levels: true } });
  }
  return out;
}

let batch: Batch;

before(async () => {
  await tf.setBackend('cpu');
  batch = simulatedBatch(3);
});

describe('model registry', () => {
  it('lists the five zoo models and rejects unknown or duplicate names', () => {
    for (const name of ['bilstm', 'lstm-raw', 'conv-bilstm', 'lstm-cnn-transformer', 'transformer']) {
      assert.ok(listModels().includes(name), name);
      assert.equal(getModel(name).name, name);
    }
    assert.throws(() => getModel('no-such-model'), /unknown model 'no-such-model'.*bilstm/);
    assert.throws(() => registerModel(getModel('bilstm')), /already registered/);
    registerModel(getModel('bilstm'), { override: true });
  });
});

describe('architecture battery (cpu)', () => {
  for (const name of listModels()) {
    const definition = getModel(name);

    it(`${name}: configs are plain JSON`, () => {
      for (const config of [definition.defaults, definition.small]) {
        assert.deepEqual(JSON.parse(JSON.stringify(config)), config);
      }
    });

    it(`${name}: a zero size anywhere in the config is rejected by field name`, () => {
      for (const [field, value] of Object.entries(definition.small)) {
        const bad = Number.isInteger(value) ? 0 : Array.isArray(value) ? [...value.slice(1), 0] : undefined;
        if (bad === undefined) continue;
        assert.throws(
          () => definition.build({ ...definition.small, [field]: bad }, FEATURES, 1),
          new RegExp(`${name}: config\\.${field}`),
          field,
        );
      }
    });

    for (const { label, config } of variants(definition)) {
      describe(label, () => {
        const kind = definition.outputKind(config);
        let model: tf.LayersModel;

        before(() => {
          model = definition.build(config, FEATURES, 17);
        });

        it(`takes [null, 80, ${FEATURES}] and gives [B, 80, channels of '${kind}']`, () => {
          assert.deepEqual(model.inputs[0].shape, [null, ROWS_PER_BREATH, FEATURES]);
          const y = model.predict(batch.x) as tf.Tensor;
          assert.deepEqual(y.shape, [BREATHS, ROWS_PER_BREATH, outputChannels(kind)]);
          y.dispose();
        });

        it('same seed gives the same weights, another seed other weights', () => {
          const same = definition.build(config, FEATURES, 17).getWeights();
          const other = definition.build(config, FEATURES, 18).getWeights();
          const mine = model.getWeights();
          assert.equal(same.length, mine.length);
          mine.forEach((w, i) => assert.deepEqual(same[i].dataSync(), w.dataSync(), model.weights[i].name));
          const differs = mine.some((w, i) => w.dataSync().some((v, j) => v !== other[i].dataSync()[j]));
          assert.ok(differs);
        });

        it('a few Adam steps on the masked inspiratory loss lower it', () => {
          const { first, last } = train(model, batch, kind, 4);
          assert.ok(Number.isFinite(first) && Number.isFinite(last));
          assert.ok(last < first, `loss ${first} -> ${last}`);
        });

        it('saves and loads back (topology through JSON text) with identical predictions', async () => {
          let artifacts: tf.io.ModelArtifacts | undefined;
          await model.save(
            tf.io.withSaveHandler(async (a) => {
              artifacts = a;
              return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
            }),
          );
          // Through JSON text, as a file:// save would store the topology.
          const modelTopology = JSON.parse(JSON.stringify(artifacts!.modelTopology));
          const loaded = await tf.loadLayersModel(tf.io.fromMemory({ ...artifacts!, modelTopology }));
          const expected = model.predict(batch.x) as tf.Tensor;
          const actual = loaded.predict(batch.x) as tf.Tensor;
          assert.deepEqual(actual.dataSync(), expected.dataSync());
        });
      });
    }
  }
});

describe('architecture battery (wasm)', () => {
  before(async () => {
    await selectBackend('wasm');
  });
  after(async () => {
    await tf.setBackend('cpu');
  });

  for (const name of listModels()) {
    const definition = getModel(name);
    it(`${name} (small) trains on the wasm backend`, () => {
      assert.equal(tf.getBackend(), 'wasm');
      const model = definition.build(definition.small, FEATURES, 19);
      const { first, last } = train(model, batch, definition.outputKind(definition.small), 3);
      assert.ok(last < first, `loss ${first} -> ${last}`);
    });
  }
});
