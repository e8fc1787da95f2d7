/**
 * Camera-to-world poses as row-major 4x4 matrices (Float64Array(16)).
 *
 * The project's one internal convention is OpenCV's: camera x right, y down, z forward (the
 * direction the camera looks). nerfstudio / instant-ngp / Blender write OpenGL poses: x right,
 * y up, z backward. The two differ by flipping the camera's y and z axes (columns 1 and 2).
 */
export type Mat4 = Float64Array;

export function flipYZColumns(c2w: Mat4): Mat4 {
  const out = Float64Array.from(c2w);
  for (let row = 0; row < 3; row++) {
    out[row * 4 + 1] = -c2w[row * 4 + 1]!;
    out[row * 4 + 2] = -c2w[row * 4 + 2]!;
  }
  return out;
}

/** OpenGL (nerfstudio) camera-to-world to OpenCV, and back: the flip is its own inverse. */
export const openglToOpencv = flipYZColumns;
export const opencvToOpengl = flipYZColumns;

export function mat4Rows(m: Mat4): number[][] {
  return [0, 1, 2, 3].map((r) => Array.from(m.subarray(r * 4, r * 4 + 4)));
}

/**
 * The world point of pixel (x, y) at z-depth z, written to out[at..at+2]: intrinsics in
 * continuous pixel coordinates (the pixel's centre is at +0.5), OpenCV camera axes,
 * camera-to-world row-major. The one back-projection the scan bounds, the view overlaps, the
 * point cloud export and the inspector share.
 */
export function backProjectPixel(
  c2w: ArrayLike<number>,
  k: { fx: number; fy: number; cx: number; cy: number },
  x: number,
  y: number,
  z: number,
  out: { [i: number]: number },
  at = 0,
): void {
  const px = ((x + 0.5 - k.cx) / k.fx) * z;
  const py = ((y + 0.5 - k.cy) / k.fy) * z;
  for (let r = 0; r < 3; r++) out[at + r] = c2w[r * 4]! * px + c2w[r * 4 + 1]! * py + c2w[r * 4 + 2]! * z + c2w[r * 4 + 3]!;
}
