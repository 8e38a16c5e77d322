import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { createRng } from '../../core/index.ts';
import { NumberScanner } from '../../dataset/parse-number.ts';

const scanner = new NumberScanner();

/** Scans `text` followed by a comma (the scanner needs a terminator) and returns the exact double. */
function parse(text: string): number {
  const bytes = Buffer.from(`${text},`);
  const value = scanner.scan(bytes, 0);
  assert.ok(scanner.valid, `${text} should be valid`);
  assert.equal(scanner.end, text.length, text);
  // A miss is fine (the reader then calls Number()); a hit must be exact.
  return Number.isNaN(value) ? Number(text) : value;
}

function randomDigits(rng: () => number, count: number): string {
  let digits = String(1 + Math.floor(rng() * 9));
  for (let k = 1; k < count; k++) digits += Math.floor(rng() * 10);
  return digits;
}

describe('NumberScanner', () => {
  it('agrees with Number() on shortest round-trip doubles', () => {
    const rng = createRng(1, 'test', 'shortest');
    for (let i = 0; i < 100_000; i++) {
      const x = (rng() - 0.1) * 10 ** Math.floor(rng() * 6 - 2);
      assert.equal(Object.is(parse(String(x)), x), true, String(x));
    }
  });

  it('agrees with Number() on 16-19 digit decimals, where the fast path must round exactly', () => {
    const rng = createRng(2, 'test', 'long');
    let hits = 0;
    for (let i = 0; i < 100_000; i++) {
      const digits = randomDigits(rng, 16 + Math.floor(rng() * 4));
      const point = 1 + Math.floor(rng() * (digits.length - 1));
      const text = `${digits.slice(0, point)}.${digits.slice(point)}`;
      const bytes = Buffer.from(`${text},`);
      const value = scanner.scan(bytes, 0);
      if (!Number.isNaN(value)) hits++;
      assert.equal(Number.isNaN(value) || Object.is(value, Number(text)), true, text);
    }
    // The double-double path must actually be taken, not only the Number() fallback.
    assert.ok(hits > 99_000, `fast path taken ${hits} times`);
  });

  it('agrees with Number() next to rounding midpoints', () => {
    // Points halfway between x and a double one or two ulps above it, written with 17-19 digits
    // and nudged by one unit in the last digit: close to ties, the hardest cases to round.
    const rng = createRng(3, 'test', 'midpoints');
    for (let i = 0; i < 20_000; i++) {
      const x = rng() * 64;
      const next = x + x * 2 ** -52;
      const midpoint = (x + next) / 2;
      for (const digits of [17, 18, 19]) {
        const text = midpoint.toPrecision(digits);
        const last = Number(text.at(-1));
        for (const nudged of [text, text.slice(0, -1) + ((last + 1) % 10), text.slice(0, -1) + ((last + 9) % 10)]) {
          assert.equal(Object.is(parse(nudged), Number(nudged)), true, nudged);
        }
      }
    }
  });

  it('rounds exact ties to even, as Number() does', () => {
    // Halfway between two doubles: 2^52 + 0.5 lies between 2^52 and 2^52 + 1, and so on.
    const ties = ['4503599627370496.5', '4503599627370497.5', '2251799813685248.25', '2251799813685248.75', '1125899906842624.375', '9007199254740993', '9007199254740995'];
    for (const text of ties) assert.equal(parse(text), Number(text), text);
    assert.equal(parse('4503599627370496.5'), 4503599627370496);
    assert.equal(parse('4503599627370497.5'), 4503599627370498);
  });

  it('reads signs, exponents, leading zeros and edge forms as Number() does', () => {
    for (const text of ['0', '-0', '-0.0', '+1.5', '.5', '5.', '007.25', '1e5', '1E-5', '12.5e-3', '2.5e+2', '9007199254740993', '123456789012345678', '0.30000000000000004', '1e-400', '1.7976931348623157e308', '64.8209917386395', '-1.895744294564641']) {
      assert.equal(Object.is(parse(text), Number(text)), true, text);
    }
  });

  it('marks text that is not a plain decimal as invalid', () => {
    for (const text of ['', '-', '.', 'e5', '1e', '1e+', 'abc', ' 1']) {
      const bytes = Buffer.from(`${text},`);
      assert.ok(Number.isNaN(scanner.scan(bytes, 0)), text);
      assert.equal(scanner.valid, false, text);
    }
    // Valid up to a stray byte: the caller sees `end` short of the field's end.
    const bytes = Buffer.from('1.5x,');
    scanner.scan(bytes, 0);
    assert.equal(scanner.end, 3);
  });
});
