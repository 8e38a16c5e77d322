// Shared by every stage: seeds, content hashes, atomic files and the ventilator's own laws.
export { deriveSeed, createRng } from './seed.ts';
export { hashFile, hashFileSync, hashJson, stableStringify } from './hash.ts';
export { writeFileAtomic, createAtomicWriteStream, type AtomicWriteStream } from './atomic-file.ts';
export { PRESSURE_MIN, PRESSURE_STEP, PRESSURE_LEVELS, PRESSURE_MAX, pressureLevel, levelPressure, snapToGrid, snapAllToGrid, distanceToGrid } from './pressure-grid.ts';
export { INTEGRAL_TIME_CONSTANT, GAIN_GRID, PIP_VALUES, INSPIRATION_SECONDS, clipValve, nextIntegral, piOutput } from './controller-law.ts';
export { RunCatalog, type JobFiles, type ModelPredictionFiles } from './run-catalog.ts';
export { createRegistry, type Registry } from './registry.ts';
