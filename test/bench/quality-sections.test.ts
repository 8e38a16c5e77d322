/**
 * docs/quality.md is written by three measurements (the main table, --side-by-side, --curve):
 * each rewrites its own part and leaves the others as they were.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { qualitySections, writeQualitySection } from '../../bench/quality-default-run.ts';

const dir = mkdtempSync(join(tmpdir(), 'tidal-quality-doc-'));

test('a section is appended, then replaced in place; the other sections and the top stay', () => {
  const path = join(dir, 'quality.md');
  writeFileSync(path, '# Model quality on simulated data\n\nthe main table\n');
  writeQualitySection(path, 'Side by side', 'first run\n');
  writeQualitySection(path, 'Learning curve', 'curve run\n');
  assert.equal(readFileSync(path, 'utf8'), '# Model quality on simulated data\n\nthe main table\n\n## Side by side\n\nfirst run\n\n## Learning curve\n\ncurve run\n');
  writeQualitySection(path, 'Side by side', 'second run\nwith two lines');
  assert.equal(readFileSync(path, 'utf8'), '# Model quality on simulated data\n\nthe main table\n\n## Side by side\n\nsecond run\nwith two lines\n\n## Learning curve\n\ncurve run\n');
  writeQualitySection(path, 'Learning curve', 'another curve');
  assert.match(readFileSync(path, 'utf8'), /\n## Learning curve\n\nanother curve\n$/);
  // What the main table's rewrite keeps: every ## section, none of the top part.
  assert.equal(qualitySections(path), '\n## Side by side\n\nsecond run\nwith two lines\n\n## Learning curve\n\nanother curve\n');
});

test('a missing file gets the title, then the section; nothing to keep from it', () => {
  const path = join(dir, 'new.md');
  assert.equal(qualitySections(path), '');
  writeQualitySection(path, 'Side by side', 'row');
  assert.equal(readFileSync(path, 'utf8'), '# Model quality on simulated data\n\n## Side by side\n\nrow\n');
});
