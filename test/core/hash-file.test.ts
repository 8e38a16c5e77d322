/** The two file hashes agree, also across the 4 MiB chunks they read in, and match a one-shot SHA-256. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashFile, hashFileSync } from '../../core/index.ts';

test('hashFileSync and hashFile give the SHA-256 of the bytes, for empty, small and multi-chunk files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidal-hash-'));
  const sizes = [0, 17, (1 << 22) * 2 + 5];
  for (const size of sizes) {
    const bytes = Buffer.alloc(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 131 + (i >> 9)) & 255;
    const path = join(dir, `f${size}`);
    writeFileSync(path, bytes);
    const expected = createHash('sha256').update(bytes).digest('hex');
    assert.equal(hashFileSync(path), expected, `sync, ${size} bytes`);
    assert.equal(await hashFile(path), expected, `streamed, ${size} bytes`);
  }
});
