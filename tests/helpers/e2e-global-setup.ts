/**
 * Builds the page once and serves it on localhost for every end-to-end test file
 * (`inject('baseUrl')`). The build goes to its own folder so a developer's dist/ is left alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import type { TestProject } from 'vitest/node';
import { startStaticServer } from '../../src/cli/static-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const outDir = mkdtempSync(join(tmpdir(), 'neurncd-e2e-build-'));
  await build({ logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  const server = await startStaticServer({ mounts: { '/': outDir } });
  project.provide('baseUrl', server.url);
  return async () => {
    await server.close();
    rmSync(outDir, { recursive: true, force: true });
  };
}
