/**
 * The one error for bad input files: it carries where the problem is (file, 1-based line as a
 * text editor counts it, header = line 1, and column) so the CLI can print it plainly, without a
 * stack trace, and a user can jump straight to the offending cell.
 */
export interface InputLocation {
  file: string;
  /** 1-based line; absent when the problem is not on one line (e.g. a missing id). */
  line?: number;
  /** Column name from the header; absent when the problem is not in one column. */
  column?: string;
}

export class InputError extends Error {
  readonly file: string;
  readonly line: number | undefined;
  readonly column: string | undefined;

  constructor(where: InputLocation, problem: string) {
    super(`${formatLocation(where)}: ${problem}`);
    this.name = 'InputError';
    this.file = where.file;
    this.line = where.line;
    this.column = where.column;
  }
}

function formatLocation({ file, line, column }: InputLocation): string {
  let text = file;
  if (line !== undefined) text += `:${line}`;
  if (column !== undefined) text += `, column ${column}`;
  return text;
}
