/**
 * Progress for the run: bars with an ETA per job and overall on a terminal (cli-progress), plain
 * log lines otherwise (CI, files), so logs stay readable and terminals stay tidy.
 */
import cliProgress from 'cli-progress';

export interface JobProgress {
  update(done: number, info?: string): void;
  finish(info?: string): void;
}

export interface Progress {
  job(label: string, total: number): JobProgress;
  /** A line of text that does not disturb the bars. */
  log(line: string): void;
  stop(): void;
}

export function createProgress(totalJobs: number, options: { tty?: boolean; log?: (line: string) => void } = {}): Progress {
  const tty = options.tty ?? Boolean(process.stdout.isTTY);
  const logLine = options.log ?? ((line: string) => console.log(line));
  if (!tty) return plainProgress(totalJobs, logLine);

  const bars = new cliProgress.MultiBar(
    {
      format: ' {label} |{bar}| {value}/{total} {unit} | ETA {eta_formatted} | {info}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  const overall = bars.create(totalJobs, 0, { label: 'all jobs'.padEnd(24), unit: 'jobs', info: '' });
  let finished = 0;
  return {
    job(label, total) {
      const bar = bars.create(total, 0, { label: label.padEnd(24).slice(0, 24), unit: 'epochs', info: '' });
      return {
        update(done, info = '') {
          bar.update(done, { info });
        },
        finish(info = 'done') {
          bar.update(total, { info });
          bar.stop();
          overall.update(++finished);
        },
      };
    },
    log(line) {
      bars.log(`${line}\n`);
    },
    stop() {
      bars.stop();
    },
  };
}

function plainProgress(totalJobs: number, logLine: (line: string) => void): Progress {
  let finished = 0;
  const started = Date.now();
  return {
    job(label, total) {
      const jobStart = Date.now();
      return {
        update(done, info = '') {
          const perUnit = (Date.now() - jobStart) / Math.max(done, 1);
          const eta = Math.round(((total - done) * perUnit) / 1000);
          logLine(`${label}: ${done}/${total} ${info} (eta ${eta}s)`);
        },
        finish(info = 'done') {
          finished++;
          const perJob = (Date.now() - started) / finished;
          const eta = Math.round(((totalJobs - finished) * perJob) / 1000);
          logLine(`${label}: ${info} [${finished}/${totalJobs} jobs, eta ${eta}s]`);
        },
      };
    },
    log: logLine,
    stop() {},
  };
}
