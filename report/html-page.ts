/**
 * The page shell shared by the run report and the compare page: one self-contained HTML file
 * with vega, vega-lite and vega-embed inlined from node_modules and the chart specs as JSON.
 * Once loaded, `window.tidalReady` resolves when every chart has rendered and
 * `window.tidalViews[id]` is each chart's Vega view (the browser tests read both).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';

const require = createRequire(import.meta.url);

/** Each package's browser bundle sits next to the module its `exports` resolve to. */
const BUNDLES = [
  { pkg: 'vega', file: 'vega.min.js' },
  { pkg: 'vega-lite', file: 'vega-lite.min.js' },
  { pkg: 'vega-embed', file: 'vega-embed.min.js' },
] as const;

let scripts: string | null = null;

function vegaScripts(): string {
  if (scripts !== null) return scripts;
  scripts = BUNDLES.map(({ pkg, file }) => {
    const path = join(dirname(require.resolve(pkg)), file);
    if (!existsSync(path)) throw new Error(`${path} is missing: the report inlines ${pkg}'s browser bundle (reinstall with npm install)`);
    return `<script>${readFileSync(path, 'utf8').replace(/<\/(script)/gi, '<\\/$1')}</script>`;
  }).join('\n');
  return scripts;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; color: #222; margin: 0 auto; max-width: 1280px; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin-bottom: 4px; }
h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
p.note { color: #555; margin: 4px 0 10px; }
table { border-collapse: collapse; margin: 6px 0 12px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font: 12px/1.4 ui-monospace, monospace; }
pre { background: #f6f6f6; padding: 8px; overflow-x: auto; }
details { margin: 8px 0; }
summary { cursor: pointer; font-weight: 600; }
.better { color: #1a7f37; }
.worse { color: #c62828; }
.chart { margin: 8px 0 16px; overflow-x: auto; }
`;

const BOOT = `
(function () {
  var specs = JSON.parse(document.getElementById('tidal-charts').textContent);
  var views = {};
  window.tidalViews = views;
  window.tidalReady = Promise.all(Object.keys(specs).map(function (id) {
    return vegaEmbed('#' + id, specs[id], { renderer: 'svg', actions: false, mode: 'vega-lite' })
      .then(function (result) { views[id] = result.view; });
  }));
  window.tidalReady.catch(function (err) { console.error('chart failed: ' + err); });
})();
`;

export interface PageInput {
  title: string;
  /** Body HTML; each chart is a <div id="ID" class="chart"> whose spec is charts[ID]. */
  body: string;
  charts: Record<string, TopLevelSpec>;
}

export function renderPage({ title, body, charts }: PageInput): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
${vegaScripts()}
</head>
<body>
${body}
<script type="application/json" id="tidal-charts">${scriptJson(charts)}</script>
<script>${BOOT}</script>
</body>
</html>
`;
}

export function chartDiv(id: string): string {
  return `<div id="${escapeHtml(id)}" class="chart"></div>`;
}
