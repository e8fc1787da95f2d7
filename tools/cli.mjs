#!/usr/bin/env node
// Runs a TypeScript command from src/cli/ in Node: tsx for TypeScript, plus the `?raw` import
// hooks so that modules shared with the page (which import WGSL as text) load unchanged.
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register as registerTsx } from 'tsx/esm/api';

const here = dirname(fileURLToPath(import.meta.url));
registerTsx();
register('./raw-import-hooks.mjs', import.meta.url);

// The commands are the entry scripts the package.json scripts name (modules beside them are not).
const COMMANDS = ['bench', 'discover', 'generate', 'inspect-scan', 'serve'];
const [command, ...args] = process.argv.slice(2);
const script = join(here, '..', 'src', 'cli', `${command}.ts`);
if (!command || !COMMANDS.includes(command) || !existsSync(script)) {
  console.error(`${command ? `error: unknown command '${command}'` : 'error: no command given'}; commands: ${COMMANDS.join(', ')}`);
  process.exit(2);
}
process.argv = [process.argv[0], script, ...args];
await import(pathToFileURL(script).href);
