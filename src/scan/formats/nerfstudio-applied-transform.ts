/**
 * nerfstudio's `applied_transform`: the 3x4 (or 4x4) world transform ns-process-data applied to
 * the original poses (COLMAP's, re-oriented): poses in transforms.json = applied_transform ·
 * original. nerfstudio's dataparser keeps the poses as the file has them and uses the transform
 * only to bring its COLMAP point cloud into the same frame; so does this app: the poses are not
 * changed, the transform is kept on the Scan so that data in the original frame can be aligned.
 */
import type { Mat4 } from '../../math/camera-convention.ts';
import { poseProblem, toMat4 } from '../pose-check.ts';
import { ScanError } from '../scan-error.ts';

export const APPLIED_TRANSFORM = 'applied_transform';

/** The transform as a 4x4 (row-major), or undefined when the file has none; ScanError when it is malformed. */
export function appliedTransformOf(json: Record<string, unknown>, file: string): Mat4 | undefined {
  const value = json[APPLIED_TRANSFORM];
  if (value === undefined) return undefined;
  const rows = Array.isArray(value) ? (value as unknown[]) : [];
  const flat = rows.flatMap((row) => (Array.isArray(row) ? (row as unknown[]) : [NaN]));
  const shaped = (rows.length === 3 || rows.length === 4) && rows.every((row) => Array.isArray(row) && row.length === 4);
  if (!shaped || flat.some((v) => typeof v !== 'number')) {
    throw new ScanError(file, `"${APPLIED_TRANSFORM}" should be a 3x4 or 4x4 matrix of numbers (a list of rows)`);
  }
  const m = toMat4(flat as number[]);
  const problem = poseProblem(m);
  if (problem) throw new ScanError(file, `"${APPLIED_TRANSFORM}" ${problem}; it should be a rotation and a translation`);
  return m;
}
