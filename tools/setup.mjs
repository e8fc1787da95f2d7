#!/usr/bin/env node
// Makes a fresh machine ready for `npm start` / `npm test`: the npm packages from the lock file,
// and with --browser, Debian's chromium (the browser the tests and headless commands drive, and
// the SwiftShader Vulkan driver used when there is no GPU) plus the Vulkan loader Dawn needs, and
// Mesa's lavapipe, the second Vulkan driver the kernel tests run on (tools/lavapipe.mjs).
// Plain JavaScript with no dependencies: it runs before node_modules exists.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareLavapipe, systemLavapipeIcd } from './lavapipe.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wantBrowser = process.argv.includes('--browser');

function run(cmd, args) {
  console.log(`[setup] ${cmd} ${args.join(' ')}`);
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
}

function hasLibrary(name) {
  try {
    return execFileSync('ldconfig', ['-p'], { encoding: 'utf8' }).includes(name);
  } catch {
    return ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib'].some((d) => existsSync(join(d, name)));
  }
}

if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

if (wantBrowser) {
  const missing = [];
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(chromium)) missing.push('chromium');
  if (!hasLibrary('libvulkan.so.1')) missing.push('libvulkan1');
  // Also when lavapipe itself comes from backports: this package brings the libraries it links.
  if (!systemLavapipeIcd()) missing.push('mesa-vulkan-drivers');
  if (missing.length) {
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    if (!isRoot || !existsSync('/usr/bin/apt-get')) {
      console.error(`error: missing ${missing.join(', ')}; install with: sudo apt-get install ${missing.join(' ')}`);
      process.exit(1);
    }
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', ...missing]);
  }
  try {
    const done = prepareLavapipe((line) => console.log(`[setup] ${line}`));
    if (done) console.log(`[setup] ${done}`);
  } catch (e) {
    console.error(`error: no lavapipe for the unit-lavapipe tests: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
