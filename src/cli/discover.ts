/**
 * npm run discover -- SCAN_DIR --out OUT_DIR [--segmenter NAME|PATH] [--json] [--baselines]
 *                     [--previews N] [--field CKPT] [--save-field CKPT] and the run settings'
 *                     flags (run-setting-flags.ts: --steps, --discover-every, --keyframes, ...)
 *
 * The whole pipeline (load, segment, train, discover) in headless Chromium with the page's own
 * code; the scan folder (or .zip) and a segmenter given as a path are served to the page from
 * this machine. Writes OUT_DIR/metrics.json, OUT_DIR/labels/ (a 16-bit PNG per frame, value =
 * class id + 1, and legend.json) and OUT_DIR/previews/. Bad input: one `error:` line, exit 2.
 * --save-field writes the trained field as a checkpoint (the viewer's "Resume from checkpoint"
 * takes it); --field starts from one instead of an untrained field: with as many steps as the run
 * asks for, it only discovers, so discovery settings can be tried again without training again.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { DiscoverReply, DiscoverRequest } from '../automation/discover-automation.ts';
import { labelFileName } from '../export/label-png.ts';
import { ScanError } from '../scan/scan-error.ts';
import type { Scan } from '../scan/scan.ts';
import { CLASS_GROUP_PRESETS, type ClassChoice } from '../segment/class-selection.ts';
import { defaultSegmenterFor, MODEL_CATALOG } from '../segment/model-catalog.ts';
import { intOption, parseArgs, runCommand, stringOption, UsageError, type ParsedArgs } from './args.ts';
import { RUN_SETTING_FLAGS, RUN_SETTING_USAGE, runSettingChanges } from './run-setting-flags.ts';
import { NoChromiumError } from './chromium.ts';
import { fileSystemProblem, isFileSystemError } from './file-system-problem.ts';
import { NoWebGpuError, openHeadlessPage } from './headless-page.ts';
import { scanForPage } from './scan-for-page.ts';

/** A failure the page reported (bad model, bad scan in the browser, diverged training). */
class PipelineError extends Error {
  override name = 'PipelineError';
}

const USAGE = `npm run discover -- SCAN_DIR --out OUT_DIR [--segmenter NAME|PATH] [--known NAME,...] [--unknown NAME,...] [--class-preset ${CLASS_GROUP_PRESETS.map((p) => p.id).join('|')}] [--json] [--baselines] [--previews N] [--field CKPT] [--save-field CKPT] ${RUN_SETTING_USAGE}`;

/** A comma-separated list of class names (names may hold spaces: "chest of drawers"). */
function nameList(args: ParsedArgs, flag: string): string[] | undefined {
  const raw = stringOption(args, flag);
  if (raw === undefined) return undefined;
  const names = raw
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n);
  if (!names.length) throw new UsageError(`--${flag} needs class names separated by commas`);
  return names;
}

function classChoice(args: ParsedArgs): ClassChoice {
  const preset = stringOption(args, 'class-preset');
  if (preset !== undefined && !CLASS_GROUP_PRESETS.some((p) => p.id === preset))
    throw new UsageError(`--class-preset must be one of ${CLASS_GROUP_PRESETS.map((p) => p.id).join(', ')}, got '${preset}'`);
  const known = nameList(args, 'known');
  const unknown = nameList(args, 'unknown');
  return { ...(known && { known }), ...(unknown && { unknown }), ...(preset !== undefined && { preset }) };
}

async function segmenterRequest(
  wanted: string | undefined,
  scan: Scan,
  mounts: Record<string, string>,
): Promise<DiscoverRequest['segmenter']> {
  if (wanted === undefined) return { id: defaultSegmenterFor(scan).id };
  if (MODEL_CATALOG.some((e) => e.id === wanted)) return { id: wanted };
  const info = await stat(wanted).catch(() => null);
  if (!info?.isFile())
    throw new UsageError(
      `--segmenter '${wanted}' is neither a model-list name (${MODEL_CATALOG.map((e) => e.id).join(', ')}) nor an .onnx file`,
    );
  const modelUrl = serveBeside(wanted, '/segmenter-input/', mounts);
  const manifest = await stat(join(dirname(resolve(wanted)), 'manifest.json')).catch(() => null);
  return { modelUrl, manifestUrl: manifest?.isFile() ? '/segmenter-input/manifest.json' : null };
}

/** Serves the folder of `file` to the page under `prefix`; returns the file's URL there. */
function serveBeside(file: string, prefix: string, mounts: Record<string, string>): string {
  mounts[prefix] = dirname(resolve(file));
  return `${prefix}${encodeURIComponent(basename(file))}`;
}

/** A checkpoint to start from, served to the page beside the scan. */
async function fieldRequest(path: string | undefined, mounts: Record<string, string>): Promise<DiscoverRequest['field']> {
  if (path === undefined) return undefined;
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) throw new UsageError(`--field '${path}' is not a checkpoint file (.ncdckpt)`);
  return { url: serveBeside(path, '/field-input/', mounts), name: basename(path) };
}

/**
 * Fails before an hour of training, not after, when the field could not be written there; makes
 * its folder, as --out's is made.
 */
async function writableFilePath(path: string, flag: string): Promise<void> {
  const folder = dirname(resolve(path));
  try {
    await mkdir(folder, { recursive: true });
  } catch (e) {
    if (!isFileSystemError(e)) throw e;
    // mkdir -p says EEXIST when the folder's own path is a file.
    const problem = e.code === 'EEXIST' ? 'it is a file, not a folder' : fileSystemProblem(e.code);
    throw new UsageError(`--${flag} '${path}': cannot make its folder ${folder}: ${problem}`);
  }
  const existing = await stat(path).catch(() => null);
  if (existing && !existing.isFile()) throw new UsageError(`--${flag} '${path}' exists and is not a file`);
}

await runCommand(
  async () => {
    const args = parseArgs(process.argv.slice(2), {
      values: ['out', 'segmenter', 'previews', 'known', 'unknown', 'class-preset', 'field', 'save-field', ...RUN_SETTING_FLAGS],
      flags: ['json', 'baselines'],
    });
    if (args.positionals.length !== 1) throw new UsageError(`give one scan folder (or .zip): ${USAGE}`);
    const out = stringOption(args, 'out');
    if (!out) throw new UsageError(`--out OUT_DIR is required: ${USAGE}`);
    const settings = runSettingChanges(args);
    const classes = classChoice(args);
    const previews = intOption(args, 'previews', 0, 100) ?? 3;
    const json = args.options.has('json');
    const say = (line: string): void => void (json ? process.stderr : process.stdout).write(`${line}\n`);

    const { checked, mounts, request: scan } = await scanForPage(args.positionals[0]!);
    say(
      `${checked.sourceName}: ${checked.frames.length} frames, ${checked.hasDepth ? 'depth' : 'no depth'}, ${checked.hasLabels ? 'labels' : 'no labels'}`,
    );
    const segmenter = await segmenterRequest(stringOption(args, 'segmenter'), checked, mounts);
    const field = await fieldRequest(stringOption(args, 'field'), mounts);
    const saveField = stringOption(args, 'save-field');
    if (saveField !== undefined) await writableFilePath(saveField, 'save-field');

    const started = Date.now();
    const headless = await openHeadlessPage({
      progressPrefix: '[discover]',
      mounts,
      onProgress: (line) => say(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${line}`),
    });
    let reply: DiscoverReply;
    try {
      const request: DiscoverRequest = {
        scan,
        segmenter,
        previewFrames: previews,
        options: { settings, classes, baselines: args.options.has('baselines'), saveField: saveField !== undefined },
        ...(field && { field }),
      };
      // The page hands a trained field over as a download; listen before it can start.
      const download = saveField === undefined ? null : headless.page.waitForEvent('download', { timeout: 0 });
      // When the run fails instead, closing the browser rejects the wait: that is not a second error.
      download?.catch(() => undefined);
      reply = await headless.page
        .evaluate((r) => window.neurncd.discover(r), request)
        .catch((e: Error) => {
          throw new PipelineError(e.message.replace(/^page\.evaluate: (\w*Error: )?/, '').split('\n')[0]!);
        });
      if (download && reply.field) {
        await (await download).saveAs(saveField!);
        say(
          `wrote the trained field (${(reply.field.bytes / 2 ** 20).toFixed(1)} MiB, step ${reply.metrics.steps as number}) to ${saveField!}`,
        );
      }
    } finally {
      await headless.close();
    }

    await mkdir(join(out, 'labels'), { recursive: true });
    await mkdir(join(out, 'previews'), { recursive: true });
    for (const l of reply.labels) await writeFile(join(out, 'labels', labelFileName(l.frame)), Buffer.from(l.png, 'base64'));
    await writeFile(join(out, 'labels', 'legend.json'), `${JSON.stringify(reply.legend, null, 2)}\n`);
    for (const p of reply.previews) await writeFile(join(out, 'previews', labelFileName(p.frame)), Buffer.from(p.png, 'base64'));
    await writeFile(join(out, 'metrics.json'), `${JSON.stringify(reply.metrics, null, 2)}\n`);
    if (json) process.stdout.write(`${JSON.stringify(reply.metrics, null, 2)}\n`);
    else summarise(reply.metrics, out);
  },
  (e) => e instanceof ScanError || e instanceof PipelineError || e instanceof NoChromiumError || e instanceof NoWebGpuError,
);

function summarise(m: Record<string, unknown>, out: string): void {
  const pct = (v: unknown): string => (typeof v === 'number' ? v.toFixed(1) : 'n/a');
  const classes = m.classes as { name: string; known: boolean; pixel_share: number }[];
  console.log(`${m.frames} frames, ${m.steps} steps in ${(m.seconds as number).toFixed(0)} s; PSNR ${(m.psnr as number).toFixed(2)} dB`);
  console.log(`classes: ${classes.map((c) => `${c.name}${c.known ? '' : ' (novel)'} ${(100 * c.pixel_share).toFixed(1)}%`).join(', ')}`);
  if (m.miou !== undefined)
    console.log(`mIoU ${pct(m.miou)} (known ${pct(m.miou_known)}, novel ${pct(m.miou_novel)}), accuracy ${pct(m.acc)}`);
  const b = m.baselines as Record<string, { miou: number | null; miou_novel: number | null } | null> | undefined;
  if (b) for (const [name, s] of Object.entries(b)) console.log(`  ${name.padEnd(10)} mIoU ${pct(s?.miou)}, novel ${pct(s?.miou_novel)}`);
  console.log(`wrote ${join(out, 'metrics.json')}, labels/ and previews/`);
}
