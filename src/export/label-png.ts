/**
 * A frame's discovered classes as a file: a 16-bit greyscale PNG whose value is class id + 1, so
 * that 0 can mean "nothing" (id -1) and any image tool opens it; its name follows the frame's
 * image; a legend maps the values back to class names.
 */
import { encode } from 'fast-png';
import type { FrameLabels } from '../discover/scene-discovery.ts';

/** What a label-map value means, written into every legend. */
export const LABEL_VALUE_MEANING = 'class id + 1; 0 = nothing';

/** The largest class id a 16-bit value can carry once shifted by one. */
const MAX_CLASS_ID = 0xffff - 1;

export interface LegendClass {
  id: number;
  name: string;
  known: boolean;
}

export interface LabelLegend {
  value: typeof LABEL_VALUE_MEANING;
  /** Keyed by the value in the label maps (class id + 1). */
  classes: Record<string, { name: string; known: boolean }>;
}

export function encodeLabelPng(labels: FrameLabels): Uint8Array {
  const values = new Uint16Array(labels.classes.length);
  for (let i = 0; i < values.length; i++) {
    const id = labels.classes[i]!;
    // Uint16Array would wrap a bad id silently into some other class.
    if (!(id >= -1 && id <= MAX_CLASS_ID))
      throw new RangeError(`class id ${id} at pixel ${i} does not fit a 16-bit label map (-1..${MAX_CLASS_ID})`);
    values[i] = id + 1;
  }
  return encode({ width: labels.width, height: labels.height, data: values, channels: 1, depth: 16 });
}

/** Frames live in subfolders (rgb/, results/...): the folders become part of one flat name. */
export function labelFileName(frameImageName: string): string {
  return `${frameImageName.replace(/\.[^./]+$/, '').replace(/[\\/]/g, '_')}.png`;
}

export function labelLegend(classes: readonly LegendClass[]): LabelLegend {
  const legend: LabelLegend = { value: LABEL_VALUE_MEANING, classes: {} };
  for (const c of classes) legend.classes[String(c.id + 1)] = { name: c.name, known: c.known };
  return legend;
}
