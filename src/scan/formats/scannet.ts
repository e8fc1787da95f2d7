/**
 * A ScanNet export (the SensReader output): color/N.jpg, depth/N.png (uint16 millimetres, often of
 * another size than the colour images), pose/N.txt (4x4 camera-to-world; -inf where tracking
 * failed), intrinsic/intrinsic_color.txt and intrinsic_depth.txt (4x4), optional label-filt/N.png
 * (NYU40 class ids by default).
 */
import { frameNumber, sortByFrameNumber } from '../frame-numbers.ts';
import { NYU40_CLASSES } from '../nyu40-classes.ts';
import { readPoseFile, unusedPoseFiles } from '../pose-files.ts';
import { matrixCamera, type FormatParser, type FrameSpec, type ScanLayout } from '../scan-layout.ts';
import { ScanError } from '../scan-error.ts';
import { parseNumbers, readText } from '../scan-text.ts';
import type { Intrinsics } from '../scan.ts';

const IMAGE = /^color\/(\d+)\.(jpe?g|png)$/i;
const POSE = /^pose\/\d+\.txt$/;

async function readCamera(
  source: Parameters<FormatParser['parse']>[0],
  path: string,
): Promise<(width: number, height: number) => Intrinsics> {
  const values = parseNumbers(await readText(source, path), path);
  if (values.length !== 9 && values.length !== 16)
    throw new ScanError(path, `should hold a 3x3 or 4x4 matrix, found ${values.length} numbers`);
  return matrixCamera(values, values.length === 16 ? 4 : 3, path);
}

export const scannet: FormatParser = {
  format: 'scannet',
  signature: 'color/N.jpg with pose/N.txt and intrinsic/intrinsic_color.txt (ScanNet export)',
  detect: (paths) => paths.some((p) => IMAGE.test(p)) && paths.some((p) => POSE.test(p)),
  async parse(source): Promise<ScanLayout> {
    const has = new Set(source.paths);
    const warnings: string[] = [];
    if (!has.has('intrinsic/intrinsic_color.txt'))
      throw new ScanError('intrinsic/intrinsic_color.txt', 'is missing: ScanNet exports need the colour camera intrinsics');
    // The matrices hold no image size: it is that of the images they were calibrated for.
    const colour = await readCamera(source, 'intrinsic/intrinsic_color.txt');
    const depthIntrinsics = has.has('intrinsic/intrinsic_depth.txt')
      ? await readCamera(source, 'intrinsic/intrinsic_depth.txt')
      : undefined;
    const images = sortByFrameNumber(source.paths.filter((p) => IMAGE.test(p)));
    const frames: FrameSpec[] = [];
    const posePaths: string[] = [];
    for (const imagePath of images) {
      const n = frameNumber(imagePath)!;
      const posePath = `pose/${n}.txt`;
      posePaths.push(posePath);
      const pose = await readPoseFile(source, has, posePath);
      const depthPath = `depth/${n}.png`;
      const labelPath = `label-filt/${n}.png`;
      frames.push({
        imagePath,
        sourceIndex: n,
        ...(has.has(depthPath) ? { depthPath } : {}),
        ...(has.has(labelPath) ? { labelPath } : {}),
        pose,
        intrinsics: colour,
      });
    }
    // Frames without a pose file are skipped by the loader, naming the file; extra ones are a thinned export.
    const unused = unusedPoseFiles(source.paths, POSE, posePaths, 'pose/');
    if (unused) warnings.push(unused);
    return {
      format: 'scannet',
      frames,
      depthScale: 0.001,
      ...(depthIntrinsics ? { depthIntrinsics } : {}),
      mixedSizes: false,
      // label-filt ids read as NYU40 ids unless a classes.json beside the scan names them.
      ...(frames.some((f) => f.labelPath) ? { classes: [...NYU40_CLASSES] } : {}),
      warnings,
    };
  },
};
