/**
 * Replica as Semantic-NeRF renders it: traj_w_c.txt (one row-major 4x4 camera-to-world per line,
 * OpenCV axes), rgb/rgb_N.png, depth/depth_N.png (uint16 millimetres), optional
 * semantic_class/semantic_class_N.png (class ids; their names in classes.json, read by the loader for
 * every format). No intrinsics file: 90 degree horizontal field of view.
 */
import { sortByFrameNumber, frameNumber } from '../frame-numbers.ts';
import { readTrajectory } from '../pose-files.ts';
import { replicaIntrinsics, type FormatParser, type ScanLayout } from '../scan-layout.ts';

const IMAGE = /^rgb\/rgb_(\d+)\.(png|jpe?g)$/i;

export const replicaSemanticNerf: FormatParser = {
  format: 'replica-semantic-nerf',
  signature: 'traj_w_c.txt with rgb/rgb_N.png (Replica, Semantic-NeRF layout)',
  detect: (paths) => paths.includes('traj_w_c.txt') && paths.some((p) => IMAGE.test(p)),
  async parse(source): Promise<ScanLayout> {
    const warnings: string[] = [];
    const images = sortByFrameNumber(source.paths.filter((p) => IMAGE.test(p)));
    const poses = await readTrajectory(source, 'traj_w_c.txt', images, 'rgb/', warnings);
    const has = new Set(source.paths);
    const frames = images.map((imagePath, line) => {
      const n = frameNumber(imagePath)!;
      const depthPath = `depth/depth_${n}.png`;
      const labelPath = `semantic_class/semantic_class_${n}.png`;
      return {
        imagePath,
        sourceIndex: n,
        ...(has.has(depthPath) ? { depthPath } : {}),
        ...(has.has(labelPath) ? { labelPath } : {}),
        intrinsics: replicaIntrinsics,
        pose: poses[line]!,
      };
    });
    return { format: 'replica-semantic-nerf', frames, depthScale: 0.001, mixedSizes: false, warnings };
  },
};
