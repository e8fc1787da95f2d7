/**
 * A scan's segmentation made from its ground-truth labels (one-hot on the paper's nine known
 * classes, uniform on the rest), for Node tests of the pipeline where no segmenter runs. It is the
 * same supervision the benchmark trains on (training-frames.ts, `from: 'labels'`), in the packed
 * form a segmenter's output takes.
 */
import { packLabelTargets, TARGET_WORDS_PER_PIXEL } from '../../src/field/semantic-targets.ts';
import type { ScanSegmentation } from '../../src/pipeline/scan-segmentation.ts';
import type { Scan } from '../../src/scan/scan.ts';
import { NYU13_CLASSES } from '../../src/synth/nyu13-classes.ts';

export const KNOWN_NYU13 = NYU13_CLASSES.filter((c) => c.known);

export function labelSegmentation(scan: Scan): ScanSegmentation {
  const ids = KNOWN_NYU13.map((c) => c.id);
  const packed = new Uint32Array(scan.frames.reduce((n, f) => n + f.width * f.height, 0) * TARGET_WORDS_PER_PIXEL);
  const firstPixel: number[] = [];
  let at = 0;
  for (const f of scan.frames) {
    packLabelTargets(f.labels, ids, f.width * f.height, packed, at);
    firstPixel.push(at);
    at += f.width * f.height;
  }
  const classes = KNOWN_NYU13.map((c) => ({ name: c.name, id: c.id }));
  return {
    classes,
    classNames: classes.map((c) => c.name),
    selection: { known: classes.map((c, i) => ({ ...c, channels: [i] })), unknown: [], preset: null, absent: [] },
    packed,
    firstPixel,
    featureMaps: null,
    featureStatistics: null,
  };
}
