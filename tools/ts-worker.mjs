// Entry of a Node worker thread that runs a TypeScript module (workerData.module, a file URL)
// with the same loaders as tools/cli.mjs.
import { register } from 'node:module';
import { workerData } from 'node:worker_threads';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
register('./raw-import-hooks.mjs', import.meta.url);
await import(workerData.module);
