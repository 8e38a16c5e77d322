/**
 * A run folder as the pipeline writes it: the catalog's paths (core/run-catalog.ts) plus the
 * manifest, the log and the stage records that make a rerun resume instead of recompute.
 */
import { accessSync, appendFileSync, constants, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { RunCatalog, writeFileAtomic } from '../core/index.ts';
import type { KernelPaths } from '../models/index.ts';

/** What stages/STAGE.json holds: the key the stage ran under and what it produced. */
export interface StageRecord<Result = unknown> {
  key: string;
  seconds: number;
  result: Result;
}

export interface Manifest {
  tidal: string;
  node: string;
  tfjs: string;
  backend?: string;
  backendTried?: { name: string; error?: string }[];
  /** The webgpu adapter, when the backend is webgpu. */
  adapter?: string;
  /** The kernels the backend runs (recurrent and other layers). */
  kernels?: KernelPaths;
  seed?: number;
  /** Input files as given (for `tidal submit`), and the SHA-256 of their bytes. */
  inputs: Record<string, string>;
  inputHashes: Record<string, string>;
  stages: Record<string, { key: string; seconds: number; cached: boolean; at: string }>;
  metrics: Record<string, unknown>;
}

export class RunFolder {
  readonly catalog: RunCatalog;

  constructor(dir: string) {
    this.catalog = new RunCatalog(dir);
    try {
      mkdirSync(this.dir, { recursive: true });
      accessSync(this.dir, constants.W_OK);
    } catch (err) {
      throw new Error(`run folder ${this.dir} cannot be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): choose another --out`);
    }
  }

  get dir(): string {
    return this.catalog.dir;
  }

  /** The record of a stage if it completed under `key`, else null. */
  stage<Result>(name: string, key: string): StageRecord<Result> | null {
    const record = this.lastRecord<Result>(name);
    return record?.key === key ? record : null;
  }

  /** The record the stage last wrote, whatever its key, else null (`tidal submit` rebuilds on top of them). */
  lastRecord<Result>(name: string): StageRecord<Result> | null {
    const file = this.catalog.stageRecord(name);
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as StageRecord<Result>) : null;
  }

  completeStage(name: string, record: StageRecord, cached: boolean): void {
    if (!cached) writeFileAtomic(this.catalog.stageRecord(name), `${JSON.stringify(record, null, 2)}\n`);
    this.updateManifest((m) => {
      m.stages[name] = { key: record.key, seconds: record.seconds, cached, at: new Date().toISOString() };
    });
  }

  readManifest(): Manifest | null {
    return existsSync(this.catalog.manifest) ? (JSON.parse(readFileSync(this.catalog.manifest, 'utf8')) as Manifest) : null;
  }

  updateManifest(change: (manifest: Manifest) => void): Manifest {
    const manifest = this.readManifest();
    if (!manifest) throw new Error(`${this.catalog.manifest} does not exist: write the manifest before updating it`);
    change(manifest);
    this.writeManifest(manifest);
    return manifest;
  }

  writeManifest(manifest: Manifest): void {
    writeFileAtomic(this.catalog.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
  }

  log(line: string): void {
    appendFileSync(this.catalog.log, `${new Date().toISOString()} ${line}\n`);
  }
}
