/** A problem with the user's scan, naming the file it is in. Shown as is to the user. */
export class ScanError extends Error {
  override name = 'ScanError';
  constructor(
    /** The file (or folder) at fault, relative to the scan folder. */
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/**
 * A problem that ends the whole load when it comes up while a frame loads, where a frame's own
 * problem (a lost pose, a broken image) only skips that frame. Its name stays ScanError: the page
 * and the command line show it as one.
 */
export class WholeScanError extends ScanError {}

/**
 * A camera's numbers are wrong (a focal length of 0, a field of view of 180°...): every frame
 * would be skipped for the same reason, so the scan does not load.
 */
export class CameraError extends WholeScanError {}
