/** The two ways scans store poses: one text file per frame, or one trajectory file of lines. */
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

/**
 * A trajectory file with one row-major 4x4 camera-to-world per line (Replica's traj_w_c.txt,
 * NICE-SLAM's traj.txt), one line per image in frame order.
 */
export async function readTrajectory(
  source: ScanSource,
  file: string,
  images: string[],
  imageFolder: string,
): Promise<FrameSpec['pose'][]> {
  const rows = (await readText(source, file))
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  if (rows.length !== images.length) {
    throw new ScanError(file, `has ${rows.length} poses but ${imageFolder} has ${images.length} images; there must be one pose per image`);
  }
  return rows.map((row, line) => {
    const values = parseNumbers(row, file);
    const problem = values.length === 16 ? poseProblem(values) : `has ${values.length} numbers on line ${line + 1}, a pose needs 16`;
    return problem ? { problem: `pose on line ${line + 1} ${problem}`, file } : { c2w: toMat4(values) };
  });
}
