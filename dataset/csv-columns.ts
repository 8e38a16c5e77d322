/**
 * Streaming reader for numeric CSV files (the competition's files have numbers only): reads the
 * file in large chunks, scans the bytes of each line in place and stores each column in a typed
 * array, so a 6-million-row file never becomes a string (strings cap at 512 MiB and
 * fs.readFileSync at 2 GiB). Columns are found by header name, in any order; lines end in LF or
 * CRLF; the last line may lack its newline, and blank lines may follow the last row. Fields may
 * be quoted as RFC 4180 says ("1.5", "" for a quote inside; numeric files have no line break
 * inside quotes, so none is accepted); quoted fields take a path entered only when the fast
 * number scan fails, so unquoted files read at full speed. Every cell is checked as it is read
 * and the first bad one throws an InputError naming its line and column.
 */
import { InputError } from './input-error.ts';
import { openInputFile } from './input-file.ts';
import { NumberScanner } from './parse-number.ts';
import type { ValueRange } from './physical-ranges.ts';

/** How a column's cells are checked and stored. */
export type CsvColumnType =
  /** Any finite number (inside `range` when given), stored as Float64. */
  | { kind: 'float64'; range?: ValueRange }
  /** An integer that fits Int32. */
  | { kind: 'int32' }
  /** One of a few small integers (u_out, R, C), stored as Uint8. */
  | { kind: 'choice'; values: readonly number[] };

export interface CsvColumnSpec {
  name: string;
  type: CsvColumnType;
}

export type CsvColumnArray = Float64Array | Int32Array | Uint8Array;

export interface CsvColumns {
  /** Data rows read; row i is on line i + 2 of the file (the header is line 1). */
  rows: number;
  /** One array per requested column, exactly `rows` long. */
  columns: Map<string, CsvColumnArray>;
}

/** Line number (1-based, header = 1) of data row `row`: blank lines between rows are errors, so rows map 1:1. */
export function lineOfRow(row: number): number {
  return row + 2;
}

const CHUNK_BYTES = 1 << 23;
/** Longest line accepted: a line must fit between chunks. */
const HEADROOM = 1 << 20;
const NEWLINE = 10;
const CARRIAGE_RETURN = 13;
const COMMA = 44;
const QUOTE = 34;
const INITIAL_ROWS = 1 << 16;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const CHOICE_LIMIT = 256;

/** Reads the named columns of a CSV file; the header must hold exactly these columns. */
export async function readCsvColumns(path: string, specs: readonly CsvColumnSpec[]): Promise<CsvColumns> {
  const file = await openInputFile(path, `a CSV file with the columns ${specs.map((s) => s.name).join(',')}`);
  // Two buffers: the next chunk is read into one while the other is parsed, so disk and parser
  // overlap. Chunks land after HEADROOM bytes, where the unfinished last line of the previous
  // chunk is copied to join its rest.
  const buffers = [Buffer.allocUnsafe(HEADROOM + CHUNK_BYTES), Buffer.allocUnsafe(HEADROOM + CHUNK_BYTES)];
  const readInto = (buffer: Buffer): Promise<number> => file.read(buffer, HEADROOM, CHUNK_BYTES, null).then((r) => r.bytesRead);
  let pending: Promise<number> = Promise.resolve(0);
  try {
    const reader = new CsvColumnReader(path, specs, (await file.stat()).size);
    let current = 0;
    let carried = 0;
    pending = readInto(buffers[current]);
    for (;;) {
      const bytesRead = await pending;
      const atEnd = bytesRead === 0;
      if (!atEnd) pending = readInto(buffers[1 - current]);
      const buffer = buffers[current];
      const start = HEADROOM - carried;
      let dataEnd = HEADROOM + bytesRead;
      // The number scanner needs a terminator after every field: end an unterminated last line.
      if (atEnd && carried > 0) buffer[dataEnd++] = NEWLINE;
      const data = buffer.subarray(start, dataEnd);
      const consumed = reader.consume(data, atEnd);
      if (atEnd) break;
      carried = data.length - consumed;
      if (carried > HEADROOM) {
        throw new InputError({ file: path, line: reader.nextLine() }, `line longer than ${HEADROOM} bytes; is this a CSV file?`);
      }
      buffer.copy(buffers[1 - current], HEADROOM - carried, start + consumed, HEADROOM + bytesRead);
      current = 1 - current;
    }
    return reader.finish();
  } finally {
    // A read still in flight after an error must finish before the file closes.
    await pending.catch(() => 0);
    await file.close();
  }
}

/** What the number scanner accepts, for text taken out of quotes: no spaces, hex or "Infinity". */
const PLAIN_DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Header names, each trimmed and, when quoted, unquoted ("" for a quote inside). A name with a
 * quote left open or text after its closing quote is an error.
 */
function splitHeader(text: string, where: { file: string; line: number }): string[] {
  const names: string[] = [];
  let pos = 0;
  for (;;) {
    while (text[pos] === ' ' || text[pos] === '\t') pos++;
    let name: string;
    if (text[pos] === '"') {
      name = '';
      let from = pos + 1;
      for (;;) {
        const quote = text.indexOf('"', from);
        if (quote < 0) throw new InputError(where, `header: a quoted column name has no closing quote: ${text.slice(pos)}`);
        name += text.slice(from, quote);
        if (text[quote + 1] === '"') {
          name += '"';
          from = quote + 2;
          continue;
        }
        pos = quote + 1;
        break;
      }
      while (text[pos] === ' ' || text[pos] === '\t') pos++;
      if (pos < text.length && text[pos] !== ',') throw new InputError(where, `header: expected a comma after the quoted name "${name}", got "${text.slice(pos, pos + 10)}"`);
    } else {
      const comma = text.indexOf(',', pos);
      const fieldEnd = comma < 0 ? text.length : comma;
      name = text.slice(pos, fieldEnd).trim();
      pos = fieldEnd;
    }
    names.push(name);
    if (pos >= text.length) return names;
    pos++; // the comma
  }
}

class CsvColumnReader {
  private readonly scanner = new NumberScanner();
  /** For each field of a line, in file order: the index of its spec. */
  private fieldSpec: Int32Array = new Int32Array(0);
  private headerNames: string[] = [];
  private headerDone = false;
  private rows = 0;
  /** Blank lines since the last row: fine at the end of the file, an error before another row. */
  private blankLines = 0;
  /** After parseQuoted: the index just past the closing quote. */
  private quotedEnd = 0;
  private capacity = 0;
  /** Storage per column, split by type so each store site sees one typed-array class. */
  private floats: Float64Array[] = [];
  private ints: Int32Array[] = [];
  private choices: Uint8Array[] = [];
  /** Bytes of data lines consumed so far: with the file size, estimates the final row count. */
  private dataBytes = 0;
  private readonly fieldValues: Float64Array;
  /** Spec indices of the float, int and choice columns, in spec order. */
  private readonly floatSpecs: number[];
  private readonly intSpecs: number[];
  private readonly choiceSpecs: number[];
  /** Per float column (in floatSpecs order): the accepted range, -Infinity..Infinity if none. */
  private readonly floatMin: Float64Array;
  private readonly floatMax: Float64Array;
  /** Per spec: for CHOICE columns, 1 at each allowed value (an integer 0..255), else empty. */
  private readonly allowed: Uint8Array[];

  constructor(
    private readonly path: string,
    private readonly specs: readonly CsvColumnSpec[],
    private readonly fileSize: number,
  ) {
    this.fieldValues = new Float64Array(specs.length);
    const ofKind = (kind: CsvColumnType['kind']) => specs.flatMap((s, i) => (s.type.kind === kind ? [i] : []));
    this.floatSpecs = ofKind('float64');
    this.intSpecs = ofKind('int32');
    this.choiceSpecs = ofKind('choice');
    const rangeOf = (s: number) => {
      const type = specs[s].type;
      return type.kind === 'float64' ? type.range : undefined;
    };
    this.floatMin = Float64Array.from(this.floatSpecs, (s) => rangeOf(s)?.min ?? -Infinity);
    this.floatMax = Float64Array.from(this.floatSpecs, (s) => rangeOf(s)?.max ?? Infinity);
    this.allowed = specs.map((s) => {
      const table = new Uint8Array(s.type.kind === 'choice' ? CHOICE_LIMIT : 0);
      if (s.type.kind === 'choice') {
        for (const v of s.type.values) {
          if (!Number.isInteger(v) || v < 0 || v >= CHOICE_LIMIT) throw new Error(`choice values must be integers 0..${CHOICE_LIMIT - 1}, got ${v}`);
          table[v] = 1;
        }
      }
      return table;
    });
  }

  nextLine(): number {
    return this.headerDone ? lineOfRow(this.rows) : 1;
  }

  /** Parses the complete lines of `bytes` (all of it at the end of the file); returns bytes used. */
  consume(bytes: Buffer, atEnd: boolean): number {
    let pos = 0;
    const length = bytes.length;
    while (pos < length) {
      let newline = bytes.indexOf(NEWLINE, pos);
      if (newline < 0) {
        if (!atEnd) break;
        newline = length;
      }
      const lineEnd = newline > pos && bytes[newline - 1] === CARRIAGE_RETURN ? newline - 1 : newline;
      if (!this.headerDone) this.readHeader(bytes, pos, lineEnd);
      else {
        this.readRow(bytes, pos, lineEnd);
        this.dataBytes += newline + 1 - pos;
      }
      pos = newline + 1;
    }
    return Math.min(pos, length);
  }

  finish(): CsvColumns {
    if (!this.headerDone) throw new InputError({ file: this.path, line: 1 }, `empty file; expected a header with ${this.expectedHeader()}`);
    const columns = new Map<string, CsvColumnArray>();
    // The row estimate overshoots by about 2%: keep a view then, rather than copy every column.
    const fit = <T extends CsvColumnArray>(array: T): T =>
      (this.rows >= array.length * 0.9 ? array.subarray(0, this.rows) : array.slice(0, this.rows)) as T;
    const add = (specs: number[], arrays: CsvColumnArray[]) => specs.forEach((s, k) => columns.set(this.specs[s].name, fit(arrays[k])));
    add(this.floatSpecs, this.floats);
    add(this.intSpecs, this.ints);
    add(this.choiceSpecs, this.choices);
    return { rows: this.rows, columns };
  }

  private readHeader(bytes: Buffer, start: number, end: number): void {
    // A UTF-8 byte order mark is not part of the first column's name.
    if (end - start >= 3 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf) start += 3;
    const where = { file: this.path, line: 1 };
    const names = splitHeader(bytes.toString('utf8', start, end), where);
    const seen = new Set<string>();
    for (const name of names) {
      if (seen.has(name)) throw new InputError({ ...where, column: name }, `column "${name}" appears twice in the header`);
      seen.add(name);
    }
    const specIndex = new Map(this.specs.map((s, i) => [s.name, i]));
    const unknown = names.filter((n) => !specIndex.has(n));
    if (unknown.length > 0) {
      throw new InputError({ ...where, column: unknown[0] }, `unknown column "${unknown[0]}"; expected the columns ${this.expectedHeader()}`);
    }
    const missing = this.specs.filter((s) => !seen.has(s.name)).map((s) => s.name);
    if (missing.length > 0) {
      throw new InputError({ ...where, column: missing[0] }, `missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}; expected the columns ${this.expectedHeader()}`);
    }
    this.headerNames = names;
    this.fieldSpec = Int32Array.from(names, (n) => specIndex.get(n)!);
    this.headerDone = true;
    this.grow(INITIAL_ROWS);
  }

  private readRow(bytes: Buffer, start: number, end: number): void {
    const nFields = this.fieldSpec.length;
    if (end === start) {
      this.blankLines++;
      return;
    }
    if (this.blankLines > 0) this.fail(`empty line; expected ${nFields} comma-separated fields (${this.headerNames.join(',')})`);
    if (this.rows === this.capacity) this.grow(this.estimateRows());
    const scanner = this.scanner;
    const values = this.fieldValues;
    let pos = start;
    for (let f = 0; f < nFields; f++) {
      if (pos > end) this.failFieldCount(bytes, start, end);
      let value = scanner.scan(bytes, pos);
      let fieldEnd = scanner.end;
      if (fieldEnd < end && bytes[fieldEnd] !== COMMA) {
        if (bytes[pos] === QUOTE) {
          values[this.fieldSpec[f]] = this.parseQuoted(bytes, pos, end, f);
          pos = this.quotedEnd + 1;
          continue;
        }
        fieldEnd = bytes.indexOf(COMMA, pos);
        if (fieldEnd < 0 || fieldEnd > end) fieldEnd = end;
        value = this.parseSlow(bytes, pos, fieldEnd, f, false);
      } else if (value !== value) {
        value = this.parseSlow(bytes, pos, fieldEnd, f, scanner.valid);
      }
      values[this.fieldSpec[f]] = value;
      pos = fieldEnd + 1;
    }
    if (pos <= end) this.failFieldCount(bytes, start, end);
    this.store(values);
    this.rows++;
  }

  /** Checks each value against its column's type and appends the row. */
  private store(values: Float64Array): void {
    const row = this.rows;
    for (let k = 0; k < this.floatSpecs.length; k++) {
      const v = values[this.floatSpecs[k]];
      if (!(v >= this.floatMin[k] && v <= this.floatMax[k])) this.failRange(this.floatSpecs[k], v);
      this.floats[k][row] = v;
    }
    for (let k = 0; k < this.intSpecs.length; k++) {
      const s = this.intSpecs[k];
      const v = values[s];
      if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) this.failInteger(s, v);
      this.ints[k][row] = v;
    }
    for (let k = 0; k < this.choiceSpecs.length; k++) {
      const s = this.choiceSpecs[k];
      const v = values[s];
      // Choices are small integers: a lookup table checks them in one step.
      if (!(v >= 0 && v < CHOICE_LIMIT && this.allowed[s][v])) this.failValue(s, v, `one of ${this.choicesOf(s)}`);
      this.choices[k][row] = v;
    }
  }

  /** The exact value of a field the fast scanner missed, or an error if it is not a finite decimal. */
  private parseSlow(bytes: Buffer, start: number, end: number, field: number, validDecimal: boolean): number {
    const text = bytes.toString('latin1', start, end);
    const column = this.headerNames[field];
    if (!validDecimal) {
      if (text === '') this.fail('empty value; expected a number', column);
      if (/^\s*[+-]?(inf(inity)?|nan)\s*$/i.test(text)) this.fail(`expected a finite number, got "${text}"`, column);
      this.fail(`expected a number, got "${text}"`, column);
    }
    const value = Number(text);
    if (!Number.isFinite(value)) this.fail(`expected a finite number, got "${text}"`, column);
    return value;
  }

  /**
   * A field starting with a quote: its text up to the closing quote ("" stands for one quote),
   * which must end the field. Sets quotedEnd; returns the number the text holds.
   */
  private parseQuoted(bytes: Buffer, start: number, end: number, field: number): number {
    // Usually a plain number in quotes: the closing quote ends the scan like a comma would.
    const scanner = this.scanner;
    const fast = scanner.scan(bytes, start + 1);
    const close = scanner.end;
    if (scanner.valid && fast === fast && close < end && bytes[close] === QUOTE && (close + 1 === end || bytes[close + 1] === COMMA)) {
      this.quotedEnd = close + 1;
      return fast;
    }
    const column = this.headerNames[field];
    let text = '';
    let from = start + 1;
    for (;;) {
      const quote = bytes.indexOf(QUOTE, from);
      if (quote < 0 || quote >= end) this.fail('a quoted field has no closing quote on its line', column);
      text += bytes.toString('latin1', from, quote);
      if (quote + 1 < end && bytes[quote + 1] === QUOTE) {
        text += '"';
        from = quote + 2;
        continue;
      }
      if (quote + 1 < end && bytes[quote + 1] !== COMMA) {
        this.fail(`expected a comma or the line's end after the closing quote, got "${bytes.toString('latin1', quote + 1, Math.min(end, quote + 11))}"`, column);
      }
      this.quotedEnd = quote + 1;
      break;
    }
    if (text === '') this.fail('empty value; expected a number', column);
    if (!PLAIN_DECIMAL.test(text)) this.fail(`expected a number, got "${text}"`, column);
    const value = Number(text);
    if (!Number.isFinite(value)) this.fail(`expected a finite number, got "${text}"`, column);
    return value;
  }

  private choicesOf(spec: number): string {
    const type = this.specs[spec].type;
    return type.kind === 'choice' ? type.values.join(', ') : '';
  }

  private failValue(spec: number, value: number, expected: string): never {
    this.fail(`expected ${expected}, got ${value}`, this.specs[spec].name);
  }

  private failRange(spec: number, value: number): never {
    const { name, type } = this.specs[spec];
    const range = type.kind === 'float64' ? type.range : undefined;
    this.fail(range ? `${name} ${value} is outside [${range.min}, ${range.max}] (${range.meaning})` : `expected a finite number, got ${value}`, name);
  }

  private failInteger(spec: number, value: number): never {
    const name = this.specs[spec].name;
    if (!Number.isInteger(value)) this.failValue(spec, value, 'an integer');
    const side = value > INT32_MAX ? 'larger than the largest' : 'smaller than the smallest';
    const bound = value > INT32_MAX ? '2^31-1 = 2147483647' : '-2^31 = -2147483648';
    this.fail(`${name} ${value} is ${side} ${name} supported, ${bound} (ids are stored as 32-bit integers)`, name);
  }

  private failFieldCount(bytes: Buffer, start: number, end: number): never {
    let found = 1;
    for (let i = start; i < end; i++) if (bytes[i] === COMMA) found++;
    this.fail(`expected ${this.fieldSpec.length} fields (${this.headerNames.join(',')}), found ${found}`);
  }

  private fail(problem: string, column?: string): never {
    throw new InputError({ file: this.path, line: lineOfRow(this.rows), column }, problem);
  }

  private expectedHeader(): string {
    return this.specs.map((s) => s.name).join(',');
  }

  /** Rows the whole file will hold, from the average line length so far; at least 1.5x now. */
  private estimateRows(): number {
    const perRow = this.rows > 0 ? this.dataBytes / this.rows : 64;
    return Math.max(Math.ceil(this.capacity * 1.5), Math.ceil((this.fileSize / perRow) * 1.02) + 1024);
  }

  private grow(capacity: number): void {
    const keep = this.rows;
    const grown = <T extends CsvColumnArray>(old: T | undefined, make: (n: number) => T): T => {
      const next = make(capacity);
      if (old) next.set(old.subarray(0, keep));
      return next;
    };
    this.floats = this.floatSpecs.map((_, k) => grown(this.floats[k], (n) => new Float64Array(n)));
    this.ints = this.intSpecs.map((_, k) => grown(this.ints[k], (n) => new Int32Array(n)));
    this.choices = this.choiceSpecs.map((_, k) => grown(this.choices[k], (n) => new Uint8Array(n)));
    this.capacity = capacity;
  }
}
