// Node module hooks that give `import text from './file.wgsl?raw'` the meaning Vite gives it,
// so that code shared with the page runs unchanged in Node (CLI commands, unit tests).
import { readFile } from 'node:fs/promises';

export async function load(url, context, nextLoad) {
  if (url.endsWith('?raw')) {
    const path = new URL(url.slice(0, -4));
    const text = await readFile(path, 'utf8');
    return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
  }
  return nextLoad(url, context);
}
