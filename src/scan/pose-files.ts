/** The two ways scans store poses: one text file per frame, or one trajectory file of lines. */
import { frameNumber } from './frame-numbers.ts';
import type { ScanSource } from './scan-source.ts';
import type { FrameSpec } from './scan-layout.ts';
import { ScanError } from './scan-error.ts';
import { parseMatrix, parseNumbers, readText } from './scan-text.ts';
import { poseProblem, toMat4 } from './pose-check.ts';

/** A 4x4 camera-to-world in a file of its own (ScanNet pose/N.txt, 7-Scenes frame-N.pose.txt). */
export async function readPoseFile(source: ScanSource, has: Set<string>, path: string): Promise<FrameSpec['pose']> {
  if (!has.has(path)) return { problem: 'pose file missing', file: path };
  const values = parseMatrix(await readText(source, path), path, 4, 4);
  const problem = poseProblem(values);
  return problem ? { problem: `pose ${problem}`, file: path } : { c2w: toMat4(values) };
}

/** The one warning of a thinned sequence: its images are a subset of the frames that have poses. */
export function unusedPosesWarning(where: string, unused: number, poses: number): string {
  return `${where}: ${unused} of ${poses} poses are unused (no image has their frame number: a thinned sequence)`;
}

/**
 * Pose files (one per frame number, as `poseFile` matches them) whose frame has no image: the
 * warning of a thinned per-frame-file export, or null when every pose file is used.
 */
export function unusedPoseFiles(
  paths: readonly string[],
  poseFile: RegExp,
  usedPoseFiles: readonly string[],
  where: string,
): string | null {
  const used = new Set(usedPoseFiles);
  const poses = paths.filter((p) => poseFile.test(p));
  const unused = poses.filter((p) => !used.has(p)).length;
  return unused > 0 ? unusedPosesWarning(where, unused, poses.length) : null;
}

/**
 * A trajectory file with one row-major 4x4 camera-to-world per line (Replica's traj_w_c.txt,
 * NICE-SLAM's traj.txt), for images sorted by frame number. With as many lines as images, the
 * images take the lines in order. With more lines than images the sequence was thinned (every
 * n-th image kept): each image takes the line of its own frame number, counted from 0 (both
 * layouts number their first frame 0), and one warning says how many poses are unused.
 */
export async function readTrajectory(
  source: ScanSource,
  file: string,
  images: string[],
  imageFolder: string,
  warnings: string[],
): Promise<FrameSpec['pose'][]> {
  const rows = (await readText(source, file))
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  if (rows.length < images.length) {
    throw new ScanError(file, `has ${rows.length} poses but ${imageFolder} has ${images.length} images; there must be one pose per image`);
  }
  let lines = images.map((_, i) => i);
  if (rows.length > images.length) {
    lines = images.map((image) => {
      const n = frameNumber(image)!;
      if (n >= rows.length) {
        throw new ScanError(
          file,
          `has ${rows.length} poses (lines 1..${rows.length}), too few for ${image}: frame ${n} takes the pose on line ${n + 1}`,
        );
      }
      return n;
    });
    warnings.push(unusedPosesWarning(file, rows.length - images.length, rows.length));
  }
  return lines.map((line) => {
    const values = parseNumbers(rows[line]!, file);
    const problem = values.length === 16 ? poseProblem(values) : `has ${values.length} numbers on line ${line + 1}, a pose needs 16`;
    return problem ? { problem: `pose on line ${line + 1} ${problem}`, file } : { c2w: toMat4(values) };
  });
}
