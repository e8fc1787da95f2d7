/** Serves the built page (dist/) on localhost and prints its URL; runs until interrupted. */
import { existsSync } from 'node:fs';
import { intOption, parseArgs, runCommand, stringOption, UsageError } from './args.ts';
import { startStaticServer } from './static-server.ts';

await runCommand(async () => {
  const args = parseArgs(process.argv.slice(2), { values: ['port', 'dir'], flags: [] });
  const dir = stringOption(args, 'dir') ?? 'dist';
  if (!existsSync(`${dir}/index.html`)) throw new UsageError(`${dir}/index.html not found: run \`npm run build\` first`);
  const wanted = intOption(args, 'port', 0, 65535) ?? 5173;
  // Take the next free port when the wanted one is busy, as Vite does.
  for (let port = wanted; ; port++) {
    try {
      const server = await startStaticServer({ mounts: { '/': dir }, port });
      console.log(`NeurNCD-web is served at ${server.url} (Ctrl+C to stop)`);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port - wanted > 20) throw e;
    }
  }
});
