/**
 * The best checkpoint of a fold: model.save('file://' + dir) into a temporary folder, then swapped
 * into place, so `dir` holds a complete checkpoint or the previous one, never half of one.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import './file-io.ts';

export async function saveCheckpoint(model: tf.LayersModel, dir: string): Promise<void> {
  const stamp = `${process.pid}.${Date.now()}`;
  const tmp = join(dirname(dir), `.${basename(dir)}.${stamp}.tmp`);
  const old = join(dirname(dir), `.${basename(dir)}.${stamp}.old`);
  try {
    await model.save(`file://${tmp}`);
    if (existsSync(dir)) renameSync(dir, old);
    renameSync(tmp, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(old, { recursive: true, force: true });
  }
}

export async function loadCheckpoint(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(`file://${join(dir, 'model.json')}`);
}
