/**
 * The report's Vega-Lite specs, one function a chart, each taking the data from chart-data.ts.
 * Specs carry their data inline (the page is one self-contained file).
 */
import type { TopLevelSpec } from 'vega-lite';
import { type CurvePoint, type ExampleBreath, type HistogramBin, type RcCell, type StepMae } from './chart-data.ts';

/** A chart inside an hconcat. */
type ConcatChild = Extract<TopLevelSpec, { hconcat: unknown }>['hconcat'][number];

const METRICS: CurvePoint['metric'][] = ['training loss', 'validation inspiratory MAE'];

/** Heat map of OOF MAE by (R, C), one panel a series (models, then the blend), one colour scale. */
export function rcHeatmapSpec(cells: RcCell[], seriesOrder: string[]): TopLevelSpec {
  return {
    data: { values: cells },
    facet: { column: { field: 'series', type: 'nominal', sort: seriesOrder, title: null } },
    spec: {
      width: 150,
      height: 150,
      encoding: {
        x: { field: 'C', type: 'ordinal', title: 'C (mL/cmH2O)' },
        y: { field: 'R', type: 'ordinal', title: 'R (cmH2O/L/s)', sort: 'descending' },
      },
      layer: [
        {
          mark: 'rect',
          encoding: {
            color: { field: 'mae', type: 'quantitative', title: 'OOF MAE', scale: { scheme: 'orangered' } },
            tooltip: [
              { field: 'series', type: 'nominal' },
              { field: 'R', type: 'ordinal' },
              { field: 'C', type: 'ordinal' },
              { field: 'mae', type: 'quantitative', format: '.4f', title: 'OOF MAE' },
              { field: 'breaths', type: 'quantitative' },
            ],
          },
        },
        { mark: { type: 'text', fontSize: 11 }, encoding: { text: { field: 'mae', type: 'quantitative', format: '.3f' } } },
      ],
    },
  };
}

/** Training loss and validation MAE per epoch: a column a model, a row a metric, a line a fold; the kept epoch marked. */
export function trainingCurvesSpec(points: CurvePoint[], models: string[]): TopLevelSpec {
  const x = { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 }, title: 'epoch' } as const;
  const y = { field: 'value', type: 'quantitative', scale: { zero: false }, title: null } as const;
  const color = { field: 'fold', type: 'nominal', title: 'fold' } as const;
  return {
    data: { values: points },
    facet: {
      row: { field: 'metric', type: 'nominal', sort: METRICS, title: null },
      column: { field: 'model', type: 'nominal', sort: models, title: null },
    },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 260,
      height: 150,
      layer: [
        { mark: { type: 'line', point: true }, encoding: { x, y, color, tooltip: [{ field: 'fold' }, { field: 'epoch' }, { field: 'value', format: '.4f' }] } },
        { transform: [{ filter: 'datum.best' }], mark: { type: 'rule', strokeDash: [4, 3] }, encoding: { x, color } },
        { transform: [{ filter: 'datum.best' }], mark: { type: 'point', shape: 'diamond', size: 110, filled: true }, encoding: { x, y, color } },
      ],
    },
  };
}

/**
 * The best, median and worst OOF breaths of each (R, C): u_in, true and predicted pressure, the
 * expiratory part shaded. A grid of layered charts (a row a pair) rather than a facet: Vega-Lite
 * cannot give a faceted layer its own y axis for u_in. Rows carry only the breath's index `b`;
 * what is per breath goes into its chart's title and shading.
 */
export function exampleBreathsSpec(examples: ExampleBreath[]): TopLevelSpec {
  const time = { field: 't', type: 'quantitative', title: 'time (s)' } as const;
  const seriesColor = {
    field: 'series',
    type: 'nominal',
    title: null,
    scale: { domain: ['u_in', 'pressure', 'predicted'], range: ['#9aa5b1', '#1f77b4', '#d62728'] },
  } as const;
  const chart = (e: ExampleBreath, b: number): ConcatChild => ({
    title: { text: `${e.pair}: ${e.rank}`, subtitle: `breath ${e.breathId}, MAE ${e.breathMae.toFixed(3)}`, fontSize: 11, subtitleFontSize: 10 },
    width: 220,
    height: 110,
    layer: [
      {
        data: { values: [{ expStart: e.expStart, expEnd: e.expEnd }] },
        mark: { type: 'rect', color: '#8a8a8a', opacity: 0.18 },
        encoding: { x: { field: 'expStart', type: 'quantitative', title: 'time (s)' }, x2: { field: 'expEnd' } },
      },
      {
        transform: [{ filter: `datum.b === ${b}` }, { fold: ['pressure', 'predicted'], as: ['series', 'value'] }],
        mark: { type: 'line', strokeWidth: 1.4 },
        encoding: { x: time, y: { field: 'value', type: 'quantitative', title: 'pressure (cmH2O)' }, color: seriesColor },
      },
      {
        // u_in (0-100) on its own axis so the pressures are not squeezed.
        transform: [{ filter: `datum.b === ${b}` }, { fold: ['u_in'], as: ['series', 'value'] }],
        mark: { type: 'line', strokeWidth: 1, opacity: 0.8 },
        encoding: { x: time, y: { field: 'value', type: 'quantitative', title: 'u_in', axis: { orient: 'right' } }, color: seriesColor },
      },
    ],
    resolve: { scale: { y: 'independent' } },
  });
  const pairs = [...new Set(examples.map((e) => e.pair))];
  return {
    data: { values: examples.flatMap((e, b) => e.rows.map((r) => ({ b, ...r }))) },
    vconcat: pairs.map((pair) => ({
      hconcat: examples.flatMap((e, b) => (e.pair === pair ? [chart(e, b)] : [])),
    })),
    resolve: { legend: { color: 'shared' }, scale: { color: 'shared' } },
  };
}

/** Histogram of OOF residuals on inspiratory rows, a panel a series. */
export function residualHistogramSpec(bins: HistogramBin[], seriesOrder: string[]): TopLevelSpec {
  return {
    data: { values: bins },
    facet: { column: { field: 'series', type: 'nominal', sort: seriesOrder, title: null } },
    spec: {
      width: 220,
      height: 140,
      mark: 'bar',
      encoding: {
        x: { field: 'start', type: 'quantitative', bin: { binned: true }, title: 'predicted - true (cmH2O)' },
        x2: { field: 'end' },
        y: { field: 'count', type: 'quantitative', title: 'inspiratory rows' },
      },
    },
  };
}

/** Inspiratory OOF MAE at each time step of the breath, a line a series. */
export function maeByTimeStepSpec(steps: StepMae[], seriesOrder: string[]): TopLevelSpec {
  return {
    data: { values: steps },
    width: 560,
    height: 220,
    mark: { type: 'line', point: { size: 12 } },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'time step (row of the breath)' },
      y: { field: 'mae', type: 'quantitative', title: 'inspiratory OOF MAE' },
      color: { field: 'series', type: 'nominal', sort: seriesOrder, title: null },
      tooltip: [{ field: 'series' }, { field: 'step' }, { field: 'mae', format: '.4f' }, { field: 'rows' }],
    },
  };
}
