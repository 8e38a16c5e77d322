/**
 * `npm install` must leave a fresh clone clean. npm rewrites package-lock.json when its root
 * entry disagrees with package.json; the fields below are the ones it derives. (Checked end to
 * end on 2026-11-30: git clone, npm install, git status --short printed nothing.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const root = lock.packages[''];

test('package-lock.json root entry matches package.json, so npm install does not rewrite it', () => {
  const installScript = ['preinstall', 'install', 'postinstall'].some((s) => pkg.scripts?.[s] !== undefined);
  assert.equal(root.hasInstallScript === true, installScript, 'hasInstallScript');
  assert.equal(lock.name, pkg.name);
  assert.equal(root.version, pkg.version);
  assert.deepEqual(root.dependencies, pkg.dependencies);
  assert.deepEqual(root.devDependencies, pkg.devDependencies);
  assert.deepEqual(root.bin, pkg.bin);
  assert.deepEqual(root.engines, pkg.engines);
});
