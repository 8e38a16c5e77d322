export * from './breath-table.ts';
export * from './pressure-grid.ts';
export * from './atomic-file.ts';
export * from './seed.ts';
