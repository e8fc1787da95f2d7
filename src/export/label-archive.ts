/**
 * Every frame's label map in one zip, laid out as the discover command writes its output folder:
 * labels/<frame>.png, labels/legend.json and, when given, metrics.json.
 */
import { strToU8, zipSync, type Zippable } from 'fflate';
import { encodeLabelPng, labelFileName, labelLegend, type LegendClass } from './label-png.ts';

export interface NamedFrameLabels {
  /** The frame's image name in the scan. */
  name: string;
  width: number;
  height: number;
  /** Class id per pixel, -1 = nothing. */
  classes: Int32Array;
}

/** The same text the discover command writes, so a zip and an output folder compare equal. */
function jsonFile(value: unknown): Uint8Array {
  return strToU8(`${JSON.stringify(value, null, 2)}\n`);
}

export function labelArchive(frames: readonly NamedFrameLabels[], classes: readonly LegendClass[], metrics?: unknown): Uint8Array {
  const archive: Zippable = {};
  const frameOfFile = new Map<string, string>();
  for (const frame of frames) {
    if (frame.classes.length !== frame.width * frame.height) {
      throw new Error(
        `frame "${frame.name}": ${frame.classes.length} class ids for a ${frame.width}x${frame.height} image (${frame.width * frame.height} pixels)`,
      );
    }
    const file = labelFileName(frame.name);
    const earlier = frameOfFile.get(file);
    // Flattening folders into the name can make two frames collide; one would silently replace the other.
    if (earlier !== undefined) throw new Error(`frames "${earlier}" and "${frame.name}" would both be written as labels/${file}`);
    frameOfFile.set(file, frame.name);
    // PNG is deflated already: a second pass costs time and gains nothing.
    archive[`labels/${file}`] = [encodeLabelPng(frame), { level: 0 }];
  }
  archive['labels/legend.json'] = jsonFile(labelLegend(classes));
  if (metrics !== undefined) archive['metrics.json'] = jsonFile(metrics);
  return zipSync(archive);
}
