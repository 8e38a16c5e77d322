/**
 * The run folder: every artefact of a run has a name and a place here, and each stage records the
 * key (a hash of everything it read) under which its outputs were made, so a rerun skips a stage
 * whose inputs have not changed and recomputes one whose inputs have.
 *
 *   runs/NAME/
 *     config.json            the resolved config
 *     manifest.json          versions, backend, seeds, input hashes, stage timings, metrics
 *     log.txt                what the run printed, appended across resumes
 *     input/                 simulated Kaggle-format CSVs (simulated input only)
 *     cache/                 breath tables and feature layouts (Arrow IPC)
 *     folds.csv              breath_id,fold
 *     jobs/MODEL/fold-K/     checkpoint/, resume state, oof.arrow, test.arrow, done.json
 *     predictions/MODEL/     per-model OOF and per-fold test predictions (Arrow IPC)
 *     stages/STAGE.json      the key and summary of each completed stage
 *     submission.csv
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../core/index.ts';

export interface StageRecord {
  key: string;
  seconds: number;
  summary: Record<string, unknown>;
}

export interface Manifest {
  tidal: string;
  node: string;
  tfjs: string;
  backend?: string;
  backendTried?: { name: string; error?: string }[];
  seed?: number;
  inputs: Record<string, string>;
  inputHashes: Record<string, string>;
  stages: Record<string, { seconds: number; at: string }>;
  metrics: Record<string, unknown>;
}

export class RunFolder {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
    mkdirSync(this.dir, { recursive: true });
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  get configPath(): string {
    return this.path('config.json');
  }
  get manifestPath(): string {
    return this.path('manifest.json');
  }
  get foldsPath(): string {
    return this.path('folds.csv');
  }
  get submissionPath(): string {
    return this.path('submission.csv');
  }
  get cacheDir(): string {
    return this.path('cache');
  }
  get inputDir(): string {
    return this.path('input');
  }
  jobDir(modelId: string, fold: number): string {
    return this.path('jobs', modelId, `fold-${fold}`);
  }

  /** The record of a stage if it completed under `key`, else null. */
  stage(name: string, key: string): StageRecord | null {
    const file = this.path('stages', `${name}.json`);
    if (!existsSync(file)) return null;
    const record = JSON.parse(readFileSync(file, 'utf8')) as StageRecord;
    return record.key === key ? record : null;
  }

  completeStage(name: string, record: StageRecord): void {
    writeFileAtomic(this.path('stages', `${name}.json`), `${JSON.stringify(record, null, 2)}\n`);
    this.updateManifest((m) => {
      m.stages[name] = { seconds: record.seconds, at: new Date().toISOString() };
    });
  }

  readManifest(): Manifest | null {
    return existsSync(this.manifestPath) ? (JSON.parse(readFileSync(this.manifestPath, 'utf8')) as Manifest) : null;
  }

  updateManifest(change: (manifest: Manifest) => void): Manifest {
    const manifest = this.readManifest();
    if (!manifest) throw new Error(`${this.manifestPath} does not exist: write the manifest before updating it`);
    change(manifest);
    writeFileAtomic(this.manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    return manifest;
  }

  writeManifest(manifest: Manifest): void {
    writeFileAtomic(this.manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  }

  log(line: string): void {
    appendFileSync(this.path('log.txt'), `${new Date().toISOString()} ${line}\n`);
  }
}
