/**
 * Keys of nerfstudio's and instant-ngp's transforms.json that change what a capture means but
 * that this app does not apply: named in one warning, so that none is ignored silently.
 * (Camera models and their distortion keys are checked where the camera is read.)
 */

/** Top-level keys, each with what the app does instead. */
const UNUSED_KEYS: Record<string, string> = {
  ply_file_path: 'its point cloud is not used',
  applied_scale: "only scales nerfstudio's point cloud, which is not used",
  orientation_override: 'poses are used as the file has them',
  train_filenames: 'every frame is loaded, the app makes its own split',
  val_filenames: 'every frame is loaded, the app makes its own split',
  test_filenames: 'every frame is loaded, the app makes its own split',
  integer_depth_scale: "depth is scaled by depth_unit_scale_factor (nerfstudio's, 0.001 by default)",
};

/** The warning naming each unused key the file has, or null when it has none. */
export function unusedKeysWarning(json: Record<string, unknown>, file: string): string | null {
  const found = Object.keys(UNUSED_KEYS).filter((k) => json[k] !== undefined);
  // camera_angle_y only matters where fl_y does not give the vertical focal length.
  if (json.camera_angle_y !== undefined && json.fl_y === undefined) found.push('camera_angle_y');
  if (!found.length) return null;
  const why = (k: string): string => UNUSED_KEYS[k] ?? 'fy is taken equal to fx (square pixels)';
  return `${file}: not supported, ignored: ${found.map((k) => `${k} (${why(k)})`).join('; ')}`;
}
