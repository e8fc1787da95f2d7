/**
 * 7-Scenes and 3DMatch RGB-D sequences: [seq-XX/]frame-NNNNNN.color.png, .depth.png (uint16
 * millimetres, 65535 = no depth), .pose.txt (4x4 camera-to-world) and, for 3DMatch,
 * camera-intrinsics.txt (3x3). 7-Scenes has no intrinsics file: its Kinect is fx = fy = 585,
 * principal point (320, 240) for 640x480.
 */
import { frameNumber } from '../frame-numbers.ts';
import { readPoseFile, unusedPoseFiles } from '../pose-files.ts';
import { fitIntrinsics, matrixCamera, type FormatParser, type FrameSpec, type ScanLayout } from '../scan-layout.ts';
import { parseMatrix, readText } from '../scan-text.ts';
import type { Intrinsics } from '../scan.ts';

const IMAGE = /^(?:(.*)\/)?frame-(\d+)\.color\.(png|jpe?g)$/i;
const POSE = /frame-\d+\.pose\.txt$/;
const SEVEN_SCENES_KINECT: Intrinsics = { fx: 585, fy: 585, cx: 320, cy: 240, width: 640, height: 480 };

export const sevenScenes: FormatParser = {
  format: '7scenes',
  signature: 'frame-NNNNNN.color.png with frame-NNNNNN.pose.txt (7-Scenes / 3DMatch)',
  detect: (paths) => paths.some((p) => IMAGE.test(p)) && paths.some((p) => POSE.test(p)),
  async parse(source): Promise<ScanLayout> {
    const has = new Set(source.paths);
    const warnings: string[] = [];
    // camera-intrinsics.txt holds no image size: it is that of the images it comes with.
    let intrinsics = (w: number, h: number): Intrinsics => fitIntrinsics(SEVEN_SCENES_KINECT, w, h);
    const intrinsicsFile = source.paths.find((p) => /(^|\/)camera-intrinsics\.txt$/.test(p));
    if (intrinsicsFile) {
      intrinsics = matrixCamera(parseMatrix(await readText(source, intrinsicsFile), intrinsicsFile, 3, 3), 3, intrinsicsFile);
    } else {
      warnings.push('no camera-intrinsics.txt: using the 7-Scenes Kinect intrinsics (fx = fy = 585, centre 320, 240 at 640x480)');
    }
    // Sequences in name order, frames by number within each.
    const images = source.paths
      .filter((p) => IMAGE.test(p))
      .sort((a, b) => {
        const sa = IMAGE.exec(a)![1] ?? '';
        const sb = IMAGE.exec(b)![1] ?? '';
        return sa !== sb ? (sa < sb ? -1 : 1) : frameNumber(a)! - frameNumber(b)!;
      });
    const frames: FrameSpec[] = [];
    const posePaths: string[] = [];
    for (const [i, imagePath] of images.entries()) {
      const stem = imagePath.replace(/\.color\.(png|jpe?g)$/i, '');
      const posePath = `${stem}.pose.txt`;
      posePaths.push(posePath);
      const pose = await readPoseFile(source, has, posePath);
      const depthPath = `${stem}.depth.png`;
      frames.push({
        imagePath,
        sourceIndex: i,
        ...(has.has(depthPath) ? { depthPath } : {}),
        pose,
        intrinsics,
      });
    }
    const unused = unusedPoseFiles(source.paths, POSE, posePaths, 'frame-NNNNNN.pose.txt');
    if (unused) warnings.push(unused);
    return { format: '7scenes', frames, depthScale: 0.001, depthInvalid: 65535, mixedSizes: false, warnings };
  },
};
