/**
 * What the viewer's Export buttons write, from a running pipeline: label maps of every frame
 * (zipped PNGs + legend + metrics), a labelled point cloud, metrics.json and the checkpoint.
 * Each reads the field as it is now; training may go on between the frames it renders.
 */
import type { FrameLabels } from '../discover/scene-discovery.ts';
import { labelArchive } from './label-archive.ts';
import { pointCloudPly, type PointCloudView } from './point-cloud-ply.ts';
import type { SegmenterClass } from '../segment/segmenter-manifest.ts';
import { scoreLabelMaps } from '../eval/label-scoring.ts';
import type { DiscoveryPipeline } from '../pipeline/discovery-pipeline.ts';

export interface ExportClass {
  id: number;
  name: string;
  known: boolean;
}

/** The discovered label map of every frame, with the user's merges applied (`mergedInto`). */
export async function labelAllFrames(
  pipeline: DiscoveryPipeline,
  mergedInto: (id: number) => number,
  onProgress?: (done: number, total: number) => void,
): Promise<FrameLabels[]> {
  const frames = pipeline.scan.frames;
  const out: FrameLabels[] = [];
  for (let i = 0; i < frames.length; i++) {
    const l = await pipeline.labelFrame(i);
    out.push({ ...l, classes: l.classes.map(mergedInto) });
    onProgress?.(i + 1, frames.length);
  }
  return out;
}

/** metrics.json as `npm run discover` writes it (scores only when the scan has labels). */
export function pipelineMetrics(
  pipeline: DiscoveryPipeline,
  labels: FrameLabels[],
  classes: ExportClass[],
  segmenterClasses: readonly SegmenterClass[],
  psnr: number | null,
): Record<string, unknown> {
  const scan = pipeline.scan;
  const update = pipeline.lastUpdate;
  const share = new Map(update?.classes.map((c) => [c.id, c.share]));
  const metrics: Record<string, unknown> = {
    frames: scan.frames.length,
    steps: pipeline.steps,
    psnr,
    classes: classes.map((c) => ({ name: c.name, known: c.known, pixel_share: share.get(c.id) ?? 0 })),
    novel_classes: classes.filter((c) => !c.known).map((c) => c.name),
  };
  if (scan.hasLabels) {
    const score = scoreLabelMaps(
      { frames: scan.frames.map((f) => f.labels!), classes: scan.classes ?? [] },
      labels.map((l, i) => ({ frame: i, classes: l.classes })),
      segmenterClasses,
      pipeline.k,
    );
    Object.assign(metrics, {
      acc: score.acc,
      miou: score.miou,
      miou_known: score.miou_known,
      miou_novel: score.miou_novel,
      per_class: score.per_class,
    });
  }
  return metrics;
}

export function labelsZip(
  pipeline: DiscoveryPipeline,
  labels: FrameLabels[],
  classes: ExportClass[],
  metrics: Record<string, unknown>,
): Uint8Array {
  return labelArchive(
    labels.map((l, i) => ({ name: pipeline.scan.frames[i]!.name, ...l })),
    classes,
    metrics,
  );
}

/**
 * A labelled point cloud in the scan's own units: the field's depth of every `frameStride`-th
 * frame at half resolution, each pixel with its rendered colour and its frame's class.
 */
export async function labelledPointCloud(
  pipeline: DiscoveryPipeline,
  labels: FrameLabels[],
  classes: ExportClass[],
  frameStride = 4,
  maxPoints = 2_000_000,
): Promise<Uint8Array> {
  const scan = pipeline.scan;
  const views: PointCloudView[] = [];
  for (let i = 0; i < scan.frames.length; i += frameStride) {
    const f = scan.frames[i]!;
    const { width, height, intrinsics, depth, rgb } = await pipeline.renderFrameHalf(f);
    const full = labels[i]!;
    const classesHalf = Int32Array.from({ length: width * height }, (_, p) => {
      const x = Math.min(f.width - 1, Math.floor((((p % width) + 0.5) * f.width) / width));
      const y = Math.min(f.height - 1, Math.floor(((Math.floor(p / width) + 0.5) * f.height) / height));
      return full.classes[y * full.width + x]!;
    });
    views.push({ width, height, c2w: f.c2wSource, intrinsics, depth, rgb, classes: classesHalf });
  }
  return pointCloudPly(views, classes, { stride: 1, maxPoints });
}

export type ExportKind = 'labels' | 'ply' | 'metrics' | 'checkpoint';

/** What an export needs besides the pipeline: the classes as the user sees them. */
export interface ExportContext {
  /** The class a discovered id is shown as (the user's merges). */
  mergedInto(id: number): number;
  /** The classes after the user's merges and names. */
  classes: ExportClass[];
  segmenterClasses: readonly SegmenterClass[];
  /** The last batch PSNR, or null. */
  psnr: number | null;
  onProgress?: (done: number, total: number) => void;
}

/** One export as a file: its name (from the scan's) and its bytes. */
export async function exportFile(
  what: ExportKind,
  pipeline: DiscoveryPipeline,
  context: ExportContext,
): Promise<{ name: string; bytes: Uint8Array }> {
  const base = pipeline.scan.sourceName.replace(/[^\w.-]+/g, '_');
  if (what === 'checkpoint') return { name: `${base}-step${pipeline.steps}.ncdckpt`, bytes: await pipeline.checkpoint() };
  if (!pipeline.lastUpdate) throw new Error('no classes yet: let discovery run once first');
  const labels = await labelAllFrames(pipeline, context.mergedInto, context.onProgress);
  const metrics = pipelineMetrics(pipeline, labels, context.classes, context.segmenterClasses, context.psnr);
  if (what === 'metrics') return { name: `${base}-metrics.json`, bytes: new TextEncoder().encode(`${JSON.stringify(metrics, null, 2)}\n`) };
  if (what === 'labels') return { name: `${base}-labels.zip`, bytes: labelsZip(pipeline, labels, context.classes, metrics) };
  return { name: `${base}-classes.ply`, bytes: await labelledPointCloud(pipeline, labels, context.classes) };
}
