export type { FoldAssignment, FoldOptions } from './types.ts';
export { groupKFold } from './group-kfold.ts';
export { stratifiedGroupKFold } from './stratified-group-kfold.ts';
export { assignFolds } from './assign-folds.ts';
export { foldBreathIndices, foldsOf } from './fold-indices.ts';
export { foldsCsvText, parseFoldsCsv, readFoldsCsv, writeFoldsCsv } from './folds-csv.ts';
export { loadOrCreateFolds } from './load-or-create.ts';
