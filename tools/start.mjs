#!/usr/bin/env node
// `npm start`: installs the npm packages when node_modules is missing, builds the page and serves
// it on localhost. Extra arguments go to the server (e.g. `npm start -- --port 8080`).
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (args) => execFileSync(process.execPath, args, { cwd: root, stdio: 'inherit' });

run([join(root, 'tools', 'setup.mjs')]);
run([join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn']);
run([join(root, 'tools', 'cli.mjs'), 'serve', ...process.argv.slice(2)]);
