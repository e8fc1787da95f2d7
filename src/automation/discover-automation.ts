/**
 * `window.neurncd.discover`: the whole pipeline on a scan the page fetches from its own origin
 * (the headless command serves the folder there), with a segmenter from the model list or from
 * its own URL. Returns what the command writes: metrics, per-frame label maps as 16-bit PNGs and
 * a few preview images, all as base64 so they cross into Node as JSON. A trained field asked for
 * leaves as a download (a checkpoint can be hundreds of megabytes: too big for one JSON string).
 */
import { encode } from 'fast-png';
import { discoveredColour, knownColour, type Rgb8 } from '../discover/class-colours.ts';
import { encodeLabelPng, labelLegend, type LabelLegend } from '../export/label-png.ts';
import type { GpuContext } from '../gpu/gpu-context.ts';
import type { Scan } from '../scan/scan.ts';
import { loadCatalogEntry, MODEL_CATALOG } from '../segment/model-catalog.ts';
import { toBase64 } from './segment-automation.ts';
import type { Segmenter } from '../segment/segmenter.ts';
import type { ScanInput } from '../scan/load-scan-in-worker.ts';
import { fetchScanInput, type ScanRequest } from './scan-request.ts';
import { runDiscover, type DiscoverOptions, type DiscoverResult } from '../run/discover-run.ts';
import { segmenterToScanIds } from '../eval/label-scoring.ts';
import { download } from '../viewer/file-transfer.ts';

export interface DiscoverRequest {
  scan: ScanRequest;
  /** A model-list id, or a model (and manifest) URL of this origin. */
  segmenter: { id: string } | { modelUrl: string; manifestUrl: string | null };
  options: Partial<Omit<DiscoverOptions, 'field'>>;
  /** A checkpoint of this origin to start from (DiscoverOptions.field). */
  field?: { url: string; name: string };
  /** Frames to preview (RGB | ground truth | discovered). */
  previewFrames?: number;
}

export interface DiscoverReply {
  metrics: Record<string, unknown>;
  /** What the label-map values mean. */
  legend: LabelLegend;
  /** One 16-bit greyscale PNG per frame, base64, with the frame's image name. */
  labels: { frame: string; png: string }[];
  previews: { frame: string; png: string }[];
  /** The trained field, when options.saveField asked for it: downloaded under this name. */
  field: { name: string; bytes: number } | null;
}

export async function loadRequestedSegmenter(segmenter: Segmenter, wanted: DiscoverRequest['segmenter']): Promise<void> {
  if ('id' in wanted) {
    const entry = MODEL_CATALOG.find((e) => e.id === wanted.id);
    if (!entry) throw new Error(`unknown segmenter '${wanted.id}' (the model list has ${MODEL_CATALOG.map((e) => e.id).join(', ')})`);
    await loadCatalogEntry(segmenter, entry);
    return;
  }
  await segmenter.loadFromUrl(wanted.modelUrl, wanted.manifestUrl);
}

function colourMap(width: number, height: number, colourOf: (p: number) => Rgb8): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) out.set(colourOf(p), p * 3);
  return out;
}

/**
 * RGB | ground truth (when there is some) | discovered classes, side by side. A known class has
 * the colour of its ground-truth class (same id), so the two panels compare at a glance.
 */
function preview(scan: Scan, index: number, result: DiscoverResult, toScanId: Int32Array): Uint8Array {
  const f = scan.frames[index]!;
  const { width, height } = f;
  const panels: Uint8Array[] = [colourMap(width, height, (p) => [f.rgba[p * 4]!, f.rgba[p * 4 + 1]!, f.rgba[p * 4 + 2]!])];
  if (f.labels) panels.push(colourMap(width, height, (p) => knownColour(f.labels![p]!, true)));
  const labels = result.labels[index]!.classes;
  panels.push(colourMap(width, height, (p) => discoveredColour(labels[p]!, toScanId)));
  const wide = width * panels.length;
  const out = new Uint8Array(wide * height * 3);
  panels.forEach((panel, i) => {
    for (let y = 0; y < height; y++) out.set(panel.subarray(y * width * 3, (y + 1) * width * 3), (y * wide + i * width) * 3);
  });
  return encode({ width: wide, height, data: out, channels: 3, depth: 8 });
}

export async function runDiscoverRequest(
  ctx: GpuContext,
  segmenter: Segmenter,
  loadScan: (input: ScanInput) => Promise<Scan>,
  request: DiscoverRequest,
  log: (line: string) => void,
): Promise<DiscoverReply> {
  log(`loading ${request.scan.name}`);
  const scan = await loadScan(await fetchScanInput(request.scan));
  await loadRequestedSegmenter(segmenter, request.segmenter);
  const field = request.field && { name: request.field.name, bytes: await fetchCheckpoint(request.field) };
  const result = await runDiscover(ctx, scan, segmenter, { ...request.options, ...(field && { field }) }, log);

  const legend = labelLegend(result.classes);
  const labels = result.labels.map((l, i) => ({
    frame: scan.frames[i]!.name,
    png: toBase64(encodeLabelPng(l)),
  }));
  const toScanId = segmenterToScanIds(scan.classes ?? [], result.knownClasses);
  const wanted = Math.min(request.previewFrames ?? 3, scan.frames.length);
  const previews = Array.from({ length: wanted }, (_, i) => Math.floor(((i + 0.5) * scan.frames.length) / wanted)).map((i) => ({
    frame: scan.frames[i]!.name,
    png: toBase64(preview(scan, i, result, toScanId)),
  }));
  const metrics: Record<string, unknown> = {
    frames: result.frames,
    steps: result.steps,
    seconds: result.seconds,
    psnr: result.psnr,
    classes: result.classes.map((c) => ({ name: c.name, known: c.known, pixel_share: c.share })),
    novel_classes: result.novel_classes,
    updates: result.updates.map((u) => ({
      step: u.step,
      seconds: u.seconds,
      classes: u.classes.map((c) => ({ id: c.id, name: c.name, known: c.known, pixel_share: c.share })),
    })),
    adapter: result.adapter,
    segmenter: result.segmenter,
    known_classes: result.knownClasses.map((c) => c.name),
    unknown_classes: result.unknownClasses,
    absent_classes: result.absentClasses,
    presegmentation: (({ segmentsPerFrame, ...rest }) => ({ ...rest, segments_per_frame: segmentsPerFrame }))(result.presegmentation),
    warm_at_step: result.warmAtStep,
  };
  if (result.score) {
    const s = result.score;
    Object.assign(metrics, {
      acc: s.acc,
      miou: s.miou,
      miou_known: s.miou_known,
      miou_novel: s.miou_novel,
      per_class: s.per_class,
      cluster_to_class: s.cluster_to_class,
    });
  }
  if (result.baselines) {
    const brief = (s: DiscoverResult['score']) =>
      s && { acc: s.acc, miou: s.miou, miou_known: s.miou_known, miou_novel: s.miou_novel, per_class: s.per_class };
    metrics.baselines = {
      segmenter: brief(result.baselines.segmenter),
      per_frame: brief(result.baselines.per_frame),
      full: brief(result.score),
    };
  }
  let savedField: DiscoverReply['field'] = null;
  if (result.field) {
    savedField = { name: `${scan.sourceName}-step${result.steps}.ncdckpt`, bytes: result.field.byteLength };
    download(savedField.name, result.field);
  }
  return { metrics, legend, labels, previews, field: savedField };
}

async function fetchCheckpoint(field: { url: string; name: string }): Promise<Uint8Array> {
  const response = await fetch(field.url);
  if (!response.ok) throw new Error(`${field.name}: could not be read (HTTP ${response.status})`);
  return new Uint8Array(await response.arrayBuffer());
}
