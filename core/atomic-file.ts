/**
 * Atomic writes: a file appears complete under its final name or not at all, so a killed run
 * never leaves a half-written artefact that a later run would take as done.
 */
import { createWriteStream, mkdirSync, renameSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { dirname, basename, join } from 'node:path';

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
}

export function writeFileAtomic(path: string, data: string | NodeJS.ArrayBufferView): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** A write stream to a temporary file; `commit()` flushes it and renames it into place, `abort()` removes it. */
export interface AtomicWriteStream {
  stream: WriteStream;
  /** Writes a chunk, waiting for the stream to drain when its buffer is full. */
  write(chunk: string | Uint8Array): Promise<void>;
  commit(): Promise<void>;
  abort(): void;
}

export function createAtomicWriteStream(path: string): AtomicWriteStream {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const stream = createWriteStream(tmp);
  return {
    stream,
    write(chunk) {
      return new Promise((resolve, reject) => {
        const ok = stream.write(chunk, (err) => (err ? reject(err) : undefined));
        if (ok) resolve();
        else stream.once('drain', resolve);
      });
    },
    commit() {
      return new Promise((resolve, reject) => {
        stream.end((err?: Error | null) => {
          if (err) return reject(err);
          try {
            renameSync(tmp, path);
            resolve();
          } catch (e) {
            reject(e);
          }
        });
      });
    },
    abort() {
      // Writes queued before the abort must not surface as an unhandled 'error'.
      stream.on('error', () => {});
      // destroy() closes asynchronously: a temp file whose open was still pending appears after
      // this call, so remove it again once the stream has closed.
      stream.once('close', () => rmSync(tmp, { force: true }));
      stream.destroy();
      rmSync(tmp, { force: true });
    },
  };
}
