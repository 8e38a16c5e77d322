// The built-in ventilator simulator: Kaggle-shaped data sets from the controller law and lung physics.
export { simulateDataset, type SimulateOptions, type BreathTruth, type SimulatedDataset, type SimulatedDatasetWithTruth } from './simulator.ts';
export { drawBreathSettings, drawTimeSteps, runBreath, simulateBreath, type BreathSettings, type BreathColumns } from './breath.ts';
export { DEFAULT_LUNG, valveFlow, airwayPressure, advanceLung, type LungModel, type LungState } from './lung.ts';
export { NO_RESIDUAL, residualAt, expiratoryUIn, type Residual } from './residual.ts';
export { REAL_STATISTICS, quantileOfSorted, describeBreaths, type BreathStatistics } from './stats.ts';
export { SIMULATED_FILE_NAMES, writeSimulatedFiles, type SimulatedFiles } from './simulated-files.ts';
