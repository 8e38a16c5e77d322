import { InvalidArgumentError } from 'commander';

/** A commander parser for an integer option of at least `min`; `why` says where the minimum comes from. */
export function integerAtLeast(min: number, why?: string): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isInteger(value) || value < min) {
      throw new InvalidArgumentError(`expected an integer >= ${min}, got '${text}'${why ? `: ${why}` : ''}`);
    }
    return value;
  };
}
