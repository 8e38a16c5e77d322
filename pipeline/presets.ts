/**
 * Named run configs shipped with Tidal (pipeline/presets/NAME.json): copy one to start your own.
 */
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readRunConfig, type RunConfig } from './config.ts';

const PRESET_DIR = fileURLToPath(new URL('./presets/', import.meta.url));

export function presetNames(): string[] {
  return readdirSync(PRESET_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

export function presetPath(name: string): string {
  return `${PRESET_DIR}${name}.json`;
}

export function loadPreset(name: string): RunConfig {
  const path = presetPath(name);
  if (!existsSync(path)) throw new Error(`unknown preset '${name}'; presets: ${presetNames().join(', ')}`);
  return readRunConfig(path);
}
