#!/usr/bin/env node
// Runs a TypeScript command from src/cli/ in Node: tsx for TypeScript, plus the `?raw` import
// hooks so that modules shared with the page (which import WGSL as text) load unchanged.
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register as registerTsx } from 'tsx/esm/api';

const here = dirname(fileURLToPath(import.meta.url));
registerTsx();
register('./raw-import-hooks.mjs', import.meta.url);

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: node tools/cli.mjs COMMAND [ARGS...]');
  process.exit(1);
}
const script = join(here, '..', 'src', 'cli', `${command}.ts`);
process.argv = [process.argv[0], script, ...args];
await import(pathToFileURL(script).href);
