/**
 * Replica as Semantic-NeRF renders it: traj_w_c.txt (one row-major 4x4 camera-to-world per line,
 * OpenCV axes), rgb/rgb_N.png, depth/depth_N.png (uint16 millimetres), optional
 * semantic_class/semantic_class_N.png. No intrinsics file: 90 degree horizontal field of view.
 */
import { sortByFrameNumber, frameNumber } from '../frame-numbers.ts';
import { poseProblem, toMat4 } from '../pose-check.ts';
import { replicaIntrinsics, type FormatParser, type ScanLayout } from '../scan-layout.ts';
import { ScanError } from '../scan-error.ts';
import { parseNumbers, readText } from '../scan-text.ts';
import type { ClassName } from '../scan.ts';

const IMAGE = /^rgb\/rgb_(\d+)\.(png|jpe?g)$/i;

export const replicaSemanticNerf: FormatParser = {
  format: 'replica-semantic-nerf',
  signature: 'traj_w_c.txt with rgb/rgb_N.png (Replica, Semantic-NeRF layout)',
  detect: (paths) => paths.includes('traj_w_c.txt') && paths.some((p) => IMAGE.test(p)),
  async parse(source): Promise<ScanLayout> {
    const warnings: string[] = [];
    const rows = (await readText(source, 'traj_w_c.txt'))
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const images = sortByFrameNumber(source.paths.filter((p) => IMAGE.test(p)));
    if (rows.length !== images.length) {
      throw new ScanError('traj_w_c.txt', `has ${rows.length} poses but rgb/ has ${images.length} images; there must be one pose per image`);
    }
    const has = new Set(source.paths);
    const frames = images.map((imagePath, line) => {
      const n = frameNumber(imagePath)!;
      const values = parseNumbers(rows[line]!, 'traj_w_c.txt');
      const problem = values.length === 16 ? poseProblem(values) : `has ${values.length} numbers on line ${line + 1}, a pose needs 16`;
      const depthPath = `depth/depth_${n}.png`;
      const labelPath = `semantic_class/semantic_class_${n}.png`;
      return {
        imagePath,
        sourceIndex: n,
        ...(has.has(depthPath) ? { depthPath } : {}),
        ...(has.has(labelPath) ? { labelPath } : {}),
        intrinsics: replicaIntrinsics,
        pose: problem ? { problem: `pose on line ${line + 1} ${problem}`, file: 'traj_w_c.txt' } : { c2w: toMat4(values) },
      };
    });
    let classes: ClassName[] | undefined;
    if (has.has('classes.json')) {
      const text = await readText(source, 'classes.json');
      try {
        classes = (JSON.parse(text) as ClassName[]).filter((c) => Number.isInteger(c.id) && typeof c.name === 'string');
      } catch {
        warnings.push('classes.json is not valid JSON; class names are not shown');
      }
    }
    return { format: 'replica-semantic-nerf', frames, depthScale: 0.001, mixedSizes: false, classes, warnings };
  },
};
