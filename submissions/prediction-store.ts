/**
 * Where a run keeps model predictions: runs/NAME/predictions/<model>/oof.arrow (one value per
 * train row, breath-table order) and test-fold<k>.arrow (one value per test row, one file per
 * fold), each an Arrow IPC file with a single float32 column `pressure`. Blends and submissions
 * are rebuilt from these without retraining.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromArrays, tableFromIPC, tableToIPC } from 'apache-arrow';
import { writeFileAtomic } from '../core/index.ts';

export interface ModelPredictions {
  /** OOF prediction per train row, in breath-table order. */
  oof: Float32Array;
  /** Test predictions of each fold's model, per test row in breath-table order. */
  testByFold: Float32Array[];
}

export interface RunPredictions {
  /** Model ids, sorted. */
  models: string[];
  byModel: Map<string, ModelPredictions>;
}

const MODEL_ID = /^[a-z0-9][a-z0-9_-]*$/i;
const TEST_FILE = /^test-fold(\d+)\.arrow$/;

export function predictionsDir(runDir: string, model?: string): string {
  return model === undefined ? join(runDir, 'predictions') : join(runDir, 'predictions', model);
}

/** One float32 column `pressure` as an Arrow IPC file, written atomically. */
export function writePredictionColumn(path: string, values: Float32Array): void {
  writeFileAtomic(path, tableToIPC(tableFromArrays({ pressure: values }), 'file'));
}

export function readPredictionColumn(path: string): Float32Array {
  const table = tableFromIPC(readFileSync(path));
  const column = table.getChild('pressure');
  if (!column) throw new Error(`${path}: no 'pressure' column (columns: ${table.schema.fields.map((f) => f.name).join(', ')})`);
  const values = column.toArray();
  if (!(values instanceof Float32Array)) throw new Error(`${path}: column 'pressure' is not float32`);
  return values;
}

export function saveModelPredictions(runDir: string, model: string, predictions: ModelPredictions): void {
  if (!MODEL_ID.test(model)) throw new Error(`saveModelPredictions: model id '${model}' must be letters, digits, - and _`);
  if (predictions.testByFold.length === 0) throw new Error(`saveModelPredictions: model '${model}' has no test predictions`);
  const testRows = predictions.testByFold[0].length;
  predictions.testByFold.forEach((p, k) => {
    if (p.length !== testRows) throw new Error(`saveModelPredictions: model '${model}' fold ${k} has ${p.length} test rows, fold 0 has ${testRows}`);
  });
  const dir = predictionsDir(runDir, model);
  writePredictionColumn(join(dir, 'oof.arrow'), predictions.oof);
  predictions.testByFold.forEach((p, k) => writePredictionColumn(join(dir, `test-fold${k}.arrow`), p));
}

/** Every model's predictions under runDir/predictions; checks that the models agree on row counts. */
export function loadRunPredictions(runDir: string): RunPredictions {
  const root = predictionsDir(runDir);
  if (!existsSync(root)) throw new Error(`${root}: no predictions folder (train the run first)`);
  const models = readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  if (models.length === 0) throw new Error(`${root}: no model predictions`);
  const byModel = new Map<string, ModelPredictions>();
  for (const model of models) {
    const dir = join(root, model);
    const oofPath = join(dir, 'oof.arrow');
    if (!existsSync(oofPath)) throw new Error(`${dir}: missing oof.arrow`);
    const folds = readdirSync(dir)
      .map((name) => TEST_FILE.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    if (folds.length === 0) throw new Error(`${dir}: no test-fold<k>.arrow files`);
    const predictions = { oof: readPredictionColumn(oofPath), testByFold: folds.map((k) => readPredictionColumn(join(dir, `test-fold${k}.arrow`))) };
    byModel.set(model, predictions);
  }
  const first = byModel.get(models[0])!;
  for (const model of models) {
    const p = byModel.get(model)!;
    if (p.oof.length !== first.oof.length) {
      throw new Error(`${root}: model '${model}' has ${p.oof.length} OOF rows, '${models[0]}' has ${first.oof.length}`);
    }
    p.testByFold.forEach((t) => {
      if (t.length !== first.testByFold[0].length) {
        throw new Error(`${root}: model '${model}' has ${t.length} test rows, '${models[0]}' has ${first.testByFold[0].length}`);
      }
    });
  }
  return { models, byModel };
}
