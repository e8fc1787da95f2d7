/**
 * Replica as NICE-SLAM ships it: results/frameNNNNNN.jpg, results/depthNNNNNN.png, traj.txt (one
 * row-major 4x4 camera-to-world per line, OpenCV axes) and cam_params.json
 * ({"camera": {w, h, fx, fy, cx, cy, scale}}: depth in metres = PNG value / scale).
 */
import { checkDepthScale, checkIntrinsics } from '../camera-checks.ts';
import { frameNumber, sortByFrameNumber } from '../frame-numbers.ts';
import { readTrajectory } from '../pose-files.ts';
import { fitIntrinsics, type FormatParser, type ScanLayout } from '../scan-layout.ts';
import { ScanError } from '../scan-error.ts';
import { jsonNumber, readJson } from '../scan-text.ts';
import type { Intrinsics } from '../scan.ts';

const IMAGE = /^results\/frame(\d+)\.(jpe?g|png)$/i;
/** NICE-SLAM's configs/Replica.yaml, for a scene folder dropped without the dataset's cam_params.json. */
const NICE_SLAM_REPLICA = { w: 1200, h: 680, fx: 600, fy: 600, cx: 599.5, cy: 339.5, scale: 6553.5 };

export const replicaNiceSlam: FormatParser = {
  format: 'replica-nice-slam',
  signature: 'traj.txt with results/frameNNNNNN.jpg (Replica, NICE-SLAM layout)',
  detect: (paths) => paths.includes('traj.txt') && paths.some((p) => IMAGE.test(p)),
  async parse(source): Promise<ScanLayout> {
    const warnings: string[] = [];
    let camera = NICE_SLAM_REPLICA;
    if (source.paths.includes('cam_params.json')) {
      const json = await readJson(source, 'cam_params.json');
      const cam = json.camera;
      if (typeof cam !== 'object' || cam === null) throw new ScanError('cam_params.json', 'is missing the key "camera"');
      const c = cam as Record<string, unknown>;
      const read = (k: string): number => jsonNumber(c, k, 'cam_params.json');
      camera = { w: read('w'), h: read('h'), fx: read('fx'), fy: read('fy'), cx: read('cx'), cy: read('cy'), scale: read('scale') };
      const keys = { fx: 'camera.fx', fy: 'camera.fy', cx: 'camera.cx', cy: 'camera.cy', width: 'camera.w', height: 'camera.h' };
      checkIntrinsics({ ...camera, width: camera.w, height: camera.h }, 'cam_params.json', keys);
      checkDepthScale(camera.scale, 'cam_params.json', 'camera.scale', 'depth units per metre');
    } else {
      warnings.push("cam_params.json not found: using NICE-SLAM's Replica camera (1200x680, fx 600, depth scale 6553.5)");
    }
    const stated: Intrinsics = {
      fx: camera.fx,
      fy: camera.fy,
      cx: camera.cx + 0.5,
      cy: camera.cy + 0.5,
      width: camera.w,
      height: camera.h,
    };
    const images = sortByFrameNumber(source.paths.filter((p) => IMAGE.test(p)));
    const poses = await readTrajectory(source, 'traj.txt', images, 'results/', warnings);
    const has = new Set(source.paths);
    const frames = images.map((imagePath, line) => {
      const digits = IMAGE.exec(imagePath)![1]!;
      const depthPath = `results/depth${digits}.png`;
      return {
        imagePath,
        sourceIndex: frameNumber(imagePath)!,
        ...(has.has(depthPath) ? { depthPath } : {}),
        intrinsics: (w: number, h: number) => fitIntrinsics(stated, w, h),
        pose: poses[line]!,
      };
    });
    return { format: 'replica-nice-slam', frames, depthScale: 1 / camera.scale, mixedSizes: false, warnings };
  },
};
