#!/usr/bin/env node
// The CLI is TypeScript; tsx compiles it on the fly so `npx tidal` needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../pipeline/cli.ts');
await main(process.argv);
