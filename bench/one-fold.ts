/**
 * How much one model learns per minute: trains one fold (fold 0 of the default preset's
 * stratified 4-fold split of its 3,000 simulated breaths) and prints the validation inspiratory
 * MAE and the seconds of every epoch, so configs and recipes can be compared by time, not epochs.
 *
 *   npm run bench:fold -- --model lstm-raw --config '{"units":32,"layers":3}' \
 *     --recipe '{"epochs":15,"batchSize":32,"lr":0.005}' [--size small|defaults] [--feature-set S] [--dump DIR]
 *
 * --dump DIR also writes the fold's scaled features, targets, masks and split to DIR, which
 * bench/torch_one_fold.py reads to train a PyTorch model on exactly the same rows.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { simulateDataset } from '../simulator/simulator.ts';
import { applyScaler, buildFeatures, fitScaler } from '../features/index.ts';
import { assignFolds, foldBreathIndices } from '../folds/index.ts';
import { selectBackend, type BackendName } from '../models/backend.ts';
import { getModel } from '../models/registry.ts';
import { fitFold, foldDataFromLayout } from '../models/training/index.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    size: { type: 'string', default: 'small' },
    config: { type: 'string', default: '{}' },
    recipe: { type: 'string', default: '{}' },
    'feature-set': { type: 'string' },
    breaths: { type: 'string', default: '3000' },
    seed: { type: 'string', default: '42' },
    backend: { type: 'string', default: 'wasm' },
    dump: { type: 'string' },
  },
});
if (!values.model) throw new Error('bench:fold: --model NAME is required');
if (values.size !== 'small' && values.size !== 'defaults') throw new Error(`bench:fold: --size must be small or defaults, got ${values.size}`);
const seed = Number(values.seed);
const backend = await selectBackend(values.backend as BackendName | 'auto');
const started = performance.now();
const elapsed = () => ((performance.now() - started) / 1000).toFixed(0);

const { train: table } = simulateDataset({ breaths: Number(values.breaths), testBreaths: 0, seed });
const folds = assignFolds(table, { nFolds: 4, seed, stratified: true });
const { train, valid } = foldBreathIndices(folds, table.breathId, 0);
const definition = getModel(values.model);
const config = { ...definition[values.size], ...JSON.parse(values.config!) };
const featureSet = values['feature-set'] ?? definition.featureSet;
const raw = buildFeatures(table, featureSet);
const layout = applyScaler(fitScaler('robust', raw, train), raw);
if (values.dump) {
  mkdirSync(values.dump, { recursive: true });
  const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  writeFileSync(join(values.dump, 'x.f32'), bytes(layout.features));
  writeFileSync(join(values.dump, 'target.f32'), bytes(Float32Array.from(layout.target!)));
  writeFileSync(join(values.dump, 'inspiratory.f32'), bytes(Float32Array.from(layout.inspiratory)));
  writeFileSync(join(values.dump, 'split.json'), JSON.stringify({ breaths: table.breathId.length, features: layout.nFeatures, featureSet, train: Array.from(train), valid: Array.from(valid) }));
  console.log(`wrote ${values.dump}`);
}
const probe = definition.build(config, layout.nFeatures, seed);
const params = probe.countParams();
probe.dispose();
console.log(`${values.model} ${JSON.stringify(config)}, ${params} parameters, feature set ${featureSet} (${layout.nFeatures}); ${train.length} train / ${valid.length} valid breaths; ${backend.name}; recipe ${values.recipe}`);
const scratch = mkdtempSync(join(tmpdir(), 'tidal-fold-'));
try {
  const result = await fitFold({
    definition, config, data: foldDataFromLayout(layout), trainIdx: train, validIdx: valid,
    recipe: JSON.parse(values.recipe!), seed, checkpointDir: join(scratch, 'checkpoint'),
    onEpoch: (h) => console.log(`epoch ${h.epoch}: loss ${h.trainLoss.toFixed(4)}, valid MAE ${h.validMae.toFixed(4)} (${h.seconds.toFixed(1)} s, at ${elapsed()} s)`),
  });
  console.log(`best valid MAE ${result.bestValidMae.toFixed(4)} at epoch ${result.bestEpoch}; ${elapsed()} s in all`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
