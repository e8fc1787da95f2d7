/** Placeholder for a headless command whose issue has not landed yet: says so and exits 1. */
const [command] = process.argv.slice(2);
const owner: Record<string, string> = {
  'inspect-scan': 'the scan loaders (issue "Drop a scan folder")',
  discover: 'novel class discovery (issue "Novel class discovery")',
};
console.error(`error: \`npm run ${command}\` is not built yet; it arrives with ${owner[command ?? ''] ?? 'a later issue'}.`);
process.exit(1);
