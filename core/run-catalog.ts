/**
 * The run folder's catalog: the one place that names every artefact of a run. Stages, jobs, the
 * submission builder and the commands ask it for paths instead of joining names themselves, so
 * the layout below is the whole truth about a run folder.
 *
 *   runs/NAME/
 *     config.json               the resolved config
 *     manifest.json             versions, backend, seed, input hashes, stage keys and timings, metrics
 *     log.txt                   what the run printed, appended across resumes
 *     report.md                 out-of-fold MAE per model and of the blend, overall and per (R, C)
 *     report.html               the run report: scores, heat maps, training curves, example breaths
 *     input/                    the simulated Kaggle-format CSVs (simulated input only)
 *     cache/                    parsed breath tables and feature layouts (Arrow IPC, content-keyed)
 *     folds.csv                 breath_id,fold
 *     stages/STAGE.json         the key and result of each finished stage
 *     jobs/MODEL/fold-K/        one (model, fold) job: see JobFiles
 *     predictions/MODEL/        oof.arrow (every train row) and test-fold<K>.arrow
 *     blend/oof.arrow           the cross-validated blend's out-of-fold predictions
 *     submission.csv
 *     round-2/                  pseudo-labelling's second round (config `pseudoLabel`), when set:
 *       pseudo-labels.arrow     the test breaths' labels and per-row weights
 *       jobs/ predictions/ blend/oof.arrow submission.csv   as above, for round 2
 */
import { join, resolve } from 'node:path';

/** The files of one (model, fold) training job. */
export interface JobFiles {
  dir: string;
  /** The key the job's partial outputs were made under (a resume under another key starts over). */
  key: string;
  scaler: string;
  /** The best epoch's model (model.save). */
  checkpoint: string;
  /** The trainer's resume state while training. */
  resume: string;
  validBreaths: string;
  oof: string;
  test: string;
  /** Per-epoch training loss and validation MAE. */
  history: string;
  /** Written last: the job's key and scores. */
  done: string;
}

/** One model's blended-ready predictions. */
export interface ModelPredictionFiles {
  dir: string;
  oof: string;
  testFold(fold: number): string;
}

export class RunCatalog {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  get config(): string {
    return this.path('config.json');
  }
  get manifest(): string {
    return this.path('manifest.json');
  }
  get log(): string {
    return this.path('log.txt');
  }
  get report(): string {
    return this.path('report.md');
  }
  get htmlReport(): string {
    return this.path('report.html');
  }
  /** The cross-validated blend's out-of-fold predictions (not under predictions/, which holds models). */
  get blendOof(): string {
    return this.path('blend', 'oof.arrow');
  }
  get folds(): string {
    return this.path('folds.csv');
  }
  get submission(): string {
    return this.path('submission.csv');
  }
  get cacheDir(): string {
    return this.path('cache');
  }
  get inputDir(): string {
    return this.path('input');
  }
  stageRecord(stage: string): string {
    return this.path('stages', `${stage}.json`);
  }
  get jobsDir(): string {
    return this.path('jobs');
  }
  /**
   * The folder of a training round's jobs, predictions, blend and submission: the run folder for
   * round 1, `round-N/` for the pseudo-labelled rounds after it (round 1 stays as it was).
   */
  roundDir(round = 1): string {
    return round === 1 ? this.dir : this.path(`round-${round}`);
  }
  /** The labels (blend predictions on test breaths) and row weights that round `round` trains on. */
  pseudoLabels(round: number): string {
    return join(this.roundDir(round), 'pseudo-labels.arrow');
  }
  roundSubmission(round = 1): string {
    return join(this.roundDir(round), 'submission.csv');
  }
  job(modelId: string, fold: number, round = 1): JobFiles {
    const dir = join(this.roundDir(round), 'jobs', modelId, `fold-${fold}`);
    return {
      dir,
      key: join(dir, 'key.txt'),
      scaler: join(dir, 'scaler.json'),
      checkpoint: join(dir, 'checkpoint'),
      resume: join(dir, 'checkpoint.resume'),
      validBreaths: join(dir, 'valid-breaths.json'),
      oof: join(dir, 'oof.arrow'),
      test: join(dir, 'test.arrow'),
      history: join(dir, 'history.json'),
      done: join(dir, 'done.json'),
    };
  }
  get predictionsDir(): string {
    return this.path('predictions');
  }
  predictions(modelId: string): ModelPredictionFiles {
    const dir = join(this.predictionsDir, modelId);
    return { dir, oof: join(dir, 'oof.arrow'), testFold: (fold) => join(dir, `test-fold${fold}.arrow`) };
  }
}
