export { writeHtmlReport, buildHtmlReport } from './write-report.ts';
export { readRunArtifacts, readRunManifest, type RunArtifacts, type JobArtifacts, type ReportManifest, type RunMetrics } from './run-artifacts.ts';
export { maeByRc, maeByFold, trainingCurves, breathMae, exampleBreaths, residualHistogram, maeByTimeStep, type OofSeries, type ExampleBreath } from './chart-data.ts';
export { compareRuns, readComparedRuns, formatComparison, renderComparisonHtml, type Comparison, type ComparedRun, type MetricRow, type ConfigDifference } from './compare.ts';
