/**
 * Pre-segmentation measured against a scan's labels, per settings:
 *
 *   npx tsx tools/presegment/measure.ts SCAN... [--config NAME[:JSON]]... [--frames N] [--add-noise SIGMA]
 *     [--previews DIR] [--preview-frames 36,112] [--json OUT.json]
 *
 * SCAN: any scan folder the page loads (labels needed for purity). NAME: `default`
 * (DEFAULT_PRESEGMENTATION) or `sensor` (SENSOR_DEPTH_PRESEGMENTATION), with JSON overriding
 * some of its settings (`--config 'sensor:{"absorbSteps":6}'`); default: both. Prints per scan and
 * settings: coverage, segments per frame, purity, share of labelled pixels in >90%-pure segments,
 * mean size of segments on labelled pixels, purity over object segments only, purity with void as
 * a label, CPU ms per frame. --frames N takes N frames spread over each scan; --add-noise 0.0015
 * spoils the depth like a structured-light camera first (sensor-noise.ts), for generated rooms. With --previews, writes
 * for 4 frames of each scan (or the frames numbered in --preview-frames) a PNG per settings:
 * RGB | depth (holes black) | segments (unsegmented black) | labels.
 */
import { encode } from 'fast-png';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { decodeImageNode } from '../../src/cli/node-image-decoder.ts';
import { openScanPath } from '../../src/cli/node-scan-source.ts';
import { knownColour, type Rgb8 } from '../../src/discover/class-colours.ts';
import {
  DEFAULT_PRESEGMENTATION,
  SENSOR_DEPTH_PRESEGMENTATION,
  presegment,
  type PreSegmentation,
  type PreSegmentationSettings,
} from '../../src/discover/pre-segmentation.ts';
import { DEFAULT_LONG_SIDE, loadScan } from '../../src/scan/load-scan.ts';
import type { Scan, ScanFrame } from '../../src/scan/scan.ts';
import { withSensorNoise } from './sensor-noise.ts';
import { scoreSegments, summarise, type ScoreSummary } from './segment-scores.ts';

const PRESETS: Record<string, PreSegmentationSettings> = {
  default: DEFAULT_PRESEGMENTATION,
  sensor: SENSOR_DEPTH_PRESEGMENTATION,
};

const CAVEAT = `What the purity can show: ScanNet's labels here are box-derived (each depth pixel takes the class of
the smallest annotated 3D box holding it; walls and floors are void, only chairs and tables are
labelled). Purity counts only labelled pixels, so it says whether a segment mixes chair with table,
or object with the floor, wall or clutter that falls inside an object's box (that floor is labelled
as the object, so a segment that correctly puts floor apart from a chair can lose purity, and a
segment that merges a chair into the void floor loses none). It cannot show merges into void
surfaces, merges of two objects of one class, or errors finer than a box. Coverage and segment size
do not need labels. Object-segment purity leaves out segments less than half labelled (floor
segments holding the floor inside chair boxes); purity with void as a label falls when an object
merges into the floor or a wall, but also when a segment rightly holds the floor inside a box.
On the generated room the labels are exact and cover every surface.`;

interface Config {
  name: string;
  settings: PreSegmentationSettings;
}

function parseConfig(arg: string): Config {
  const colon = arg.indexOf(':');
  const base = colon < 0 ? arg : arg.slice(0, colon);
  const preset = PRESETS[base];
  if (!preset) throw new Error(`unknown settings '${base}' (known: ${Object.keys(PRESETS).join(', ')})`);
  const overrides = colon < 0 ? {} : (JSON.parse(arg.slice(colon + 1)) as Partial<PreSegmentationSettings>);
  return { name: arg, settings: { ...preset, ...overrides } };
}

interface Args {
  scans: string[];
  configs: Config[];
  previews?: string;
  /** Frame numbers (the digits of their file names) to preview instead of 4 spread over the scan. */
  previewFrames?: string[];
  json?: string;
  /** At most this many frames per scan, evenly spread. */
  frameLimit: number;
  /** Noise at 1 m to spoil the depth with (sensor-noise.ts), 0 for the depth as it is. */
  addedNoise: number;
}

function parseArgs(argv: string[]): Args {
  const scans: string[] = [];
  const configs: Config[] = [];
  let previews: string | undefined;
  let json: string | undefined;
  let previewFrames: string[] | undefined;
  let frameLimit = Infinity;
  let addedNoise = 0;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--config') configs.push(parseConfig(value()));
    else if (arg === '--previews') previews = value();
    else if (arg === '--json') json = value();
    else if (arg === '--preview-frames') previewFrames = value().split(',');
    else if (arg === '--frames') frameLimit = Number(value());
    else if (arg === '--add-noise') addedNoise = Number(value());
    else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}`);
    else scans.push(arg);
  }
  if (scans.length === 0) throw new Error('give one or more scan folders');
  if (!(frameLimit >= 1)) throw new Error('--frames needs a number >= 1');
  if (!(addedNoise >= 0)) throw new Error('--add-noise needs a number >= 0');
  const defaults = [parseConfig('default'), parseConfig('sensor')];
  return { scans, configs: configs.length ? configs : defaults, previews, previewFrames, json, frameLimit, addedNoise };
}

interface Row extends ScoreSummary {
  scan: string;
  config: string;
  /** CPU time of presegment() per frame. */
  msPerFrame: number;
}

/**
 * A bright colour per segment id, black for unsegmented. Hues step by the golden angle so that
 * segments numbered close together (neighbours in scan order) never look alike.
 */
function segmentColour(id: number): Rgb8 {
  if (id < 0) return [0, 0, 0];
  const hue = (id * 0.618034) % 1;
  const light = id % 3 === 0 ? 0.75 : id % 3 === 1 ? 0.55 : 0.4;
  const channel = (shift: number): number => {
    const k = (shift + hue * 12) % 12;
    return Math.round(255 * (light - 0.45 * Math.min(light, 1 - light) * 2 * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [channel(0), channel(8), channel(4)];
}

function previewPng(f: ScanFrame, seg: PreSegmentation): Uint8Array {
  const { width: w, height: h } = f;
  const depth = f.depth!;
  let far = 0;
  for (const d of depth) if (d > far && d < Infinity) far = d;
  const panels: ((p: number) => Rgb8)[] = [
    (p) => [f.rgba[p * 4]!, f.rgba[p * 4 + 1]!, f.rgba[p * 4 + 2]!],
    (p) => {
      const d = depth[p]!;
      const v = d > 0 && d < Infinity ? Math.round(255 - (215 * d) / far) : 0;
      return [v, v, v];
    },
    (p) => segmentColour(seg.segments[p]!),
    (p) => (f.labels ? knownColour(f.labels[p]!, true) : [0, 0, 0]),
  ];
  const wide = w * panels.length;
  const out = new Uint8Array(wide * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      panels.forEach((colourOf, k) => out.set(colourOf(p), (y * wide + k * w + x) * 3));
    }
  }
  return encode({ width: wide, height: h, data: out, channels: 3, depth: 8 });
}

const frameNumber = (f: ScanFrame): string => basename(f.name).replace(/\D+/g, '');

function measure(scan: Scan, name: string, config: Config, args: Args): Row {
  const withDepth = scan.frames.filter((f) => f.depth);
  const keep = Math.min(withDepth.length, args.frameLimit);
  const frames = Array.from({ length: keep }, (_, k) => withDepth[Math.floor(((k + 0.5) * withDepth.length) / keep)]!);
  const previewDir = args.previews;
  const previewAt = new Set(
    args.previewFrames
      ? frames.filter((f) => args.previewFrames!.includes(frameNumber(f)))
      : [0, 1, 2, 3].map((k) => frames[Math.floor(((k + 0.5) * frames.length) / 4)]),
  );
  const scores = [];
  let ms = 0;
  for (const f of frames) {
    // CPU time, not wall time: on a shared machine the latter measures the other jobs.
    const start = process.cpuUsage();
    const seg = presegment({ width: f.width, height: f.height, depth: f.depth!, intrinsics: f.intrinsics }, config.settings);
    const used = process.cpuUsage(start);
    ms += (used.user + used.system) / 1000;
    scores.push(scoreSegments(seg, f.depth!, f.labels ?? new Uint16Array(f.width * f.height)));
    if (previewDir && previewAt.has(f)) {
      const file = join(previewDir, `${name}-${basename(f.name).replace(/\.[^.]*$/, '')}-${config.name.replace(/[^\w.-]+/g, '_')}.png`);
      writeFileSync(file, previewPng(f, seg));
    }
  }
  return { scan: name, config: config.name, ...summarise(scores), msPerFrame: ms / frames.length };
}

const args = parseArgs(process.argv.slice(2));
const { scans, configs, previews, json } = args;
if (previews) mkdirSync(previews, { recursive: true });
const rows: Row[] = [];
for (const path of scans) {
  const scan = await loadScan(await openScanPath(path), { decodeImage: decodeImageNode, longSide: DEFAULT_LONG_SIDE });
  let name = basename(path.replace(/\/+$/, ''));
  if (args.addedNoise > 0) {
    scan.frames.forEach((f, k) => f.depth && (f.depth = withSensorNoise(f.depth, f.width, args.addedNoise, k + 1)));
    name += `+noise ${args.addedNoise}`;
  }
  const kind = scan.generator ? `generated by ${scan.generator}` : 'not generated';
  console.log(`${name}: ${scan.frames.length} frames of ${scan.trainingSize.width}x${scan.trainingSize.height}, ${kind}`);
  for (const config of configs) rows.push(measure(scan, name, config, args));
}
const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;
const table = [
  '| scan | settings | coverage | segments/frame | purity | in >90%-pure segments | mean labelled segment (px) | object-segment purity | purity, void a label | CPU ms/frame |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map(
    (r) =>
      `| ${r.scan} | ${r.config} | ${pct(r.coverage)} | ${r.segmentsPerFrame.toFixed(1)} | ${pct(r.purity)} | ${pct(r.pureShare)} | ${Math.round(r.labelledSegmentSize)} | ${pct(r.objectPurity)} | ${pct(r.purityWithVoid)} | ${r.msPerFrame.toFixed(1)} |`,
  ),
];
console.log(`\n${table.join('\n')}\n\n${CAVEAT}`);
if (previews) console.log(`\npreviews (RGB | depth, holes black | segments, unsegmented black | labels) in ${previews}`);
if (json) writeFileSync(json, `${JSON.stringify(rows, null, 2)}\n`);
