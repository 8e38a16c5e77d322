/**
 * `npm run fidelity:params`: builds every architecture at its `defaults` with the input width of
 * its feature set and prints a layer table (name, type, output shape, parameters) and the total,
 * in Markdown, for docs/fidelity.md. With a python3 that has torch it also prints the parameter
 * counts of the PyTorch re-implementations of the public models at their published sizes
 * (bench/fidelity/param_counts.py).
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { columnNames, resolveFeatures } from '../../features/index.ts';
import { getModel, listModels } from '../../models/registry.ts';

await tf.setBackend('cpu');
const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : listModels();
for (const name of names) {
  const definition = getModel(name);
  const features = columnNames(resolveFeatures(definition.featureSet)).length;
  const model = definition.build(definition.defaults, features, 1);
  console.log(`\n### ${name}: defaults ${JSON.stringify(definition.defaults)}, ${features} inputs ('${definition.featureSet}' features)\n`);
  console.log('| layer | type | output | parameters |\n|---|---|---|---:|');
  for (const layer of model.layers) {
    const shape = JSON.stringify(layer.outputShape).replace(/null/g, 'B');
    console.log(`| ${layer.name} | ${layer.getClassName()} | ${shape} | ${layer.countParams().toLocaleString('en-US')} |`);
  }
  console.log(`| **total** | | | **${model.countParams().toLocaleString('en-US')}** |`);
  model.dispose();
}

const script = join(dirname(fileURLToPath(import.meta.url)), 'param_counts.py');
const python = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
const widths = Object.fromEntries(['public', 'raw'].map((set) => [set, columnNames(resolveFeatures(set)).length]));
if (python) spawnSync(python, [script, JSON.stringify(widths)], { stdio: 'inherit' });
else console.log('\n(public model counts need a python3 with torch: apt-get install python3-torch)');
