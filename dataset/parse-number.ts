/**
 * Exact decimal-to-double conversion straight from CSV bytes, without making a string.
 *
 * The controller inversion compares pressures to the grid to 1e-6, so every parsed value must be
 * the double JS Number() gives for the same text. Two exact fast paths cover the files we read:
 * - up to 15 significant digits and a power of ten up to 22: one IEEE multiply or divide of two
 *   exactly representable doubles, hence correctly rounded (Clinger's fast path);
 * - 16 to 19 digits (the shortest round-trip form of a double has up to 17) divided by a power of
 *   ten: the quotient is carried in double-double precision and accepted only when both ends of
 *   its error interval round to the same double; otherwise the scanner reports a miss.
 * Other valid decimals (more digits, big exponents) are misses too, and the caller falls back to
 * Number() on the field text. Only plain decimals are valid: no spaces, hex or "Infinity".
 */

const DIGIT_0 = 48;
const DOT = 46;
const MINUS = 45;
const PLUS = 43;
const LOWER_E = 101;
const UPPER_E = 69;

/** Powers of ten exactly representable as doubles. */
const POW10: readonly number[] = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
/** Veltkamp splitter for 53-bit doubles: splits into two halves whose products are exact. */
const SPLITTER = 134217729;
/** Relative width of the error interval around the double-double quotient's low part. */
const LOW_PART_SLACK = 2 ** -40;

/**
 * Reads one decimal number, [+-]digits[.digits][(e|E)[+-]digits], starting at bytes[pos]. The
 * text must be followed, inside `bytes`, by a byte that cannot continue it (a comma or a line
 * end): the scan relies on it instead of checking bounds on every byte.
 * After scan(), `end` is the index just past the text it accepted and `valid` says whether that
 * text is a complete number; the result is NaN when the text is not valid or when the fast paths
 * do not apply (then Number() on the same text gives the value).
 */
export class NumberScanner {
  end = 0;
  valid = false;

  scan(bytes: Uint8Array, pos: number): number {
    let i = pos;
    let c = bytes[i];
    let negative = false;
    if (c === MINUS) {
      negative = true;
      c = bytes[++i];
    } else if (c === PLUS) c = bytes[++i];
    // Mantissa digits: the first 15 significant ones in `high`, up to 4 more in `low`.
    // Digits arrive in two loops (before and after the point) to keep each loop branch-light.
    let high = 0;
    let low = 0;
    let significant = 0;
    let lowDigits = 0;
    let digits = 0;
    let d = c - DIGIT_0;
    while (d >= 0 && d <= 9) {
      if (significant < 15) {
        high = high * 10 + d;
        if (high !== 0) significant++;
      } else {
        low = low * 10 + d;
        lowDigits++;
        significant++;
      }
      digits++;
      d = bytes[++i] - DIGIT_0;
    }
    let fractionDigits = 0;
    if (d === DOT - DIGIT_0) {
      d = bytes[++i] - DIGIT_0;
      while (d >= 0 && d <= 9) {
        if (significant < 15) {
          high = high * 10 + d;
          if (high !== 0) significant++;
        } else {
          low = low * 10 + d;
          lowDigits++;
          significant++;
        }
        fractionDigits++;
        d = bytes[++i] - DIGIT_0;
      }
      digits += fractionDigits;
    }
    if (digits === 0) return this.miss(i);
    c = d + DIGIT_0;
    let exponent = 0;
    if (c === LOWER_E || c === UPPER_E) {
      c = bytes[++i];
      let expNegative = false;
      if (c === MINUS || c === PLUS) {
        expNegative = c === MINUS;
        c = bytes[++i];
      }
      let expDigits = 0;
      while (c >= DIGIT_0 && c <= DIGIT_0 + 9) {
        // Capped: a huge exponent only needs to stay out of the fast range.
        if (exponent < 10000) exponent = exponent * 10 + (c - DIGIT_0);
        expDigits++;
        c = bytes[++i];
      }
      if (expDigits === 0) return this.miss(i);
      if (expNegative) exponent = -exponent;
    }
    this.end = i;
    this.valid = true;
    if (significant > 19) return NaN;
    const power = exponent - fractionDigits;
    let value: number;
    if (lowDigits === 0) {
      if (power < -22 || power > 22) return NaN;
      value = power < 0 ? high / POW10[-power] : high * POW10[power];
    } else {
      if (power > 0 || power < -22) return NaN;
      value = divideExact(high, POW10[lowDigits], low, POW10[-power]);
    }
    return negative ? -value : value;
  }

  private miss(i: number): number {
    this.end = i;
    this.valid = false;
    return NaN;
  }
}

/**
 * (high * scale + low) / divisor correctly rounded, or NaN when it cannot be decided here.
 * high < 1e15, scale <= 1e4, low < scale, divisor = 10^k with k <= 22 (all exact doubles).
 */
function divideExact(high: number, scale: number, low: number, divisor: number): number {
  // The integer mantissa as an exact double-double (hi + lo): TwoProduct, then TwoSum.
  const p = high * scale;
  const pErr = twoProductError(high, scale, p);
  const rest = pErr + low; // both small integers: exact
  const hi = p + rest;
  const lo = rest - (hi - p);
  // hi is already the mantissa rounded to a double.
  if (divisor === 1) return hi;
  // Quotient: q1 from the high part, q2 from the exact remainder of q1 plus the low part.
  const q1 = hi / divisor;
  const qd = q1 * divisor;
  const remainder = hi - qd - twoProductError(q1, divisor, qd);
  const q2 = (remainder + lo) / divisor;
  if (q2 === 0) return q1;
  // q2 carries at most two roundings (relative 2^-52); widen it and check both ends agree.
  const slack = Math.abs(q2) * LOW_PART_SLACK;
  const below = q1 + (q2 - slack);
  const above = q1 + (q2 + slack);
  return below === above ? below : NaN;
}

/** a * b - p exactly, for p = fl(a * b) (Dekker's TwoProduct without FMA). */
function twoProductError(a: number, b: number, p: number): number {
  let t = SPLITTER * a;
  const aHigh = t - (t - a);
  const aLow = a - aHigh;
  t = SPLITTER * b;
  const bHigh = t - (t - b);
  const bLow = b - bHigh;
  return aHigh * bHigh - p + aHigh * bLow + aLow * bHigh + aLow * bLow;
}
