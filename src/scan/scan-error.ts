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
