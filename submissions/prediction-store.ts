/**
 * Where a run keeps model predictions: runs/NAME/predictions/<model>/oof.arrow (one value per
 * train row, breath-table order) and test-fold<k>.arrow (one value per test row, one file per
 * fold), each an Arrow IPC file with a single float32 column `pressure`. Blends and submissions
 * are rebuilt from these without retraining.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tableFromArrays, tableFromIPC, tableToIPC } from 'apache-arrow';
import { RunCatalog, writeFileAtomic } from '../core/index.ts';

export interface ModelPredictions {
  /** OOF prediction per train row, in breath-table order. */
  oof: Float32Array;
  /** Test predictions of each fold's model, per test row in breath-table order. */
  testByFold: Float32Array[];
}

export interface RunPredictions {
  /** Model ids, in the selection's order. */
  models: string[];
  byModel: Map<string, ModelPredictions>;
}

const MODEL_ID = /^[a-z0-9][a-z0-9_-]*$/i;

/** Which predictions a blend takes: exactly these models, each with folds 0..folds-1. */
export interface PredictionSelection {
  models: string[];
  folds: number;
}

/** One float32 column `pressure` as an Arrow IPC file, written atomically. */
export function writePredictionColumn(path: string, values: Float32Array): void {
  writeFileAtomic(path, tableToIPC(tableFromArrays({ pressure: values }), 'file'));
}

export function readPredictionColumn(path: string): Float32Array {
  if (!existsSync(path)) throw new Error(`${path}: missing (train the run first)`);
  const table = tableFromIPC(readFileSync(path));
  const column = table.getChild('pressure');
  if (!column) throw new Error(`${path}: no 'pressure' column (columns: ${table.schema.fields.map((f) => f.name).join(', ')})`);
  const values = column.toArray();
  if (!(values instanceof Float32Array)) throw new Error(`${path}: column 'pressure' is not float32`);
  return values;
}

/** Replaces the model's saved predictions (files of folds it no longer has go with them). */
export function saveModelPredictions(runDir: string, model: string, predictions: ModelPredictions): void {
  if (!MODEL_ID.test(model)) throw new Error(`saveModelPredictions: model id '${model}' must be letters, digits, - and _`);
  if (predictions.testByFold.length === 0) throw new Error(`saveModelPredictions: model '${model}' has no test predictions`);
  const testRows = predictions.testByFold[0].length;
  predictions.testByFold.forEach((p, k) => {
    if (p.length !== testRows) throw new Error(`saveModelPredictions: model '${model}' fold ${k} has ${p.length} test rows, fold 0 has ${testRows}`);
  });
  const files = new RunCatalog(runDir).predictions(model);
  rmSync(files.dir, { recursive: true, force: true });
  writePredictionColumn(files.oof, predictions.oof);
  predictions.testByFold.forEach((p, k) => writePredictionColumn(files.testFold(k), p));
}

/** The selected models' predictions; checks that they agree on row counts. */
export function loadRunPredictions(runDir: string, selection: PredictionSelection): RunPredictions {
  const catalog = new RunCatalog(runDir);
  if (selection.models.length === 0) throw new Error(`${catalog.predictionsDir}: no models selected`);
  const byModel = new Map<string, ModelPredictions>();
  for (const model of selection.models) {
    const files = catalog.predictions(model);
    const oof = readPredictionColumn(files.oof);
    const testByFold = Array.from({ length: selection.folds }, (_, k) => readPredictionColumn(files.testFold(k)));
    byModel.set(model, { oof, testByFold });
  }
  const models = [...selection.models];
  const first = byModel.get(models[0])!;
  for (const model of models) {
    const p = byModel.get(model)!;
    if (p.oof.length !== first.oof.length) {
      throw new Error(`${catalog.predictionsDir}: model '${model}' has ${p.oof.length} OOF rows, '${models[0]}' has ${first.oof.length}`);
    }
    p.testByFold.forEach((t) => {
      if (t.length !== first.testByFold[0].length) {
        throw new Error(`${catalog.predictionsDir}: model '${model}' has ${t.length} test rows, '${models[0]}' has ${first.testByFold[0].length}`);
      }
    });
  }
  return { models, byModel };
}
