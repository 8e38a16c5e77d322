/** Checks of model configs, which arrive as JSON from presets: errors name the model and field. */

export function checkPositiveInt(model: string, field: string, value: unknown): void {
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new Error(`${model}: config.${field} must be a positive integer, got ${JSON.stringify(value)}`);
  }
}

export function checkPositiveIntList(model: string, field: string, value: unknown, minLength = 1): void {
  if (!Array.isArray(value) || value.length < minLength) {
    throw new Error(`${model}: config.${field} must be a list of at least ${minLength} positive integers, got ${JSON.stringify(value)}`);
  }
  value.forEach((v, i) => checkPositiveInt(model, `${field}[${i}]`, v));
}

export function checkBoolean(model: string, field: string, value: unknown): void {
  if (typeof value !== 'boolean') {
    throw new Error(`${model}: config.${field} must be true or false, got ${JSON.stringify(value)}`);
  }
}
