/**
 * Opening the files a user names (train/test/sample_submission/answers/folds CSVs): a missing
 * path, a folder or an unreadable file becomes an InputError that names the path and what was
 * expected there, instead of a bare EISDIR or ENOENT from the system.
 */
import { readFileSync, statSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { InputError } from './input-error.ts';

/** Opens `path` for reading; `expected` says what it should be ("a CSV file with the columns …"). */
export async function openInputFile(path: string, expected: string): Promise<FileHandle> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (err) {
    throw inputFileError(path, expected, err);
  }
  // Opening a folder for reading succeeds on Linux: only reading it fails, with EISDIR.
  const stats = await file.stat().catch(async (err: unknown) => {
    await file.close();
    throw inputFileError(path, expected, err);
  });
  if (stats.isDirectory()) {
    await file.close();
    throw notAFile(path, expected);
  }
  return file;
}

/** Refuses a path that is not there, is a folder or cannot be read, before anything reads it. */
export async function checkInputFile(path: string, expected: string): Promise<void> {
  await (await openInputFile(path, expected)).close();
}

/** The whole file as UTF-8 text, with the same errors as openInputFile. */
export function readInputFileSync(path: string, expected: string): string {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (err) {
    throw inputFileError(path, expected, err);
  }
  if (stats.isDirectory()) throw notAFile(path, expected);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw inputFileError(path, expected, err);
  }
}

function notAFile(path: string, expected: string): InputError {
  return new InputError({ file: path }, `is a folder, not a file; expected ${expected}`);
}

/** An InputError for the system errors a user can cause by naming the wrong path; others pass through. */
export function inputFileError(path: string, expected: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const problem: Record<string, string> = {
    ENOENT: 'no such file',
    ENOTDIR: 'a part of this path is a file, not a folder',
    EISDIR: 'is a folder, not a file',
    EACCES: 'cannot be read (permission denied)',
    EPERM: 'cannot be read (operation not permitted)',
    ELOOP: 'too many symbolic links',
  };
  if (code === undefined || !(code in problem)) return err;
  return new InputError({ file: path }, `${problem[code]}; expected ${expected}`);
}
