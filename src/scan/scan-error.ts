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
 * A camera's numbers are wrong (a focal length of 0, a field of view of 180°...). Thrown while a
 * frame loads, it is not the frame's own problem, as a lost pose or a broken image is: the scan
 * does not load, rather than every frame being skipped for the same reason. Its name stays
 * ScanError: the page and the command line show it as one.
 */
export class CameraError extends ScanError {}
