// Data I/O: Kaggle CSVs in and out, the breath table, the Arrow cache of parsed tables.
export { ROWS_PER_BREATH, R_VALUES, C_VALUES, rowCount, allocateBreathTable, rcPairIndex, rcPairName, type BreathTable } from './breath-table.ts';
export { InputError, type InputLocation } from './input-error.ts';
export { checkInputFile, openInputFile, readInputFileSync } from './input-file.ts';
export { PRESSURE_RANGE, TIME_STEP_RANGE, U_IN_RANGE, type ValueRange } from './physical-ranges.ts';
export { readBreathCsv, readTrainCsv, readTestCsv, readSampleSubmission, checkTestIdsMatchSample, type BreathCsvKind, type SampleSubmission } from './read-csv.ts';
export { BREATH_CSV_HEADER, writeBreathCsv, writeIdValueCsv } from './write-csv.ts';
export { loadBreathTableCached, type CachedBreathTable } from './arrow-cache.ts';
