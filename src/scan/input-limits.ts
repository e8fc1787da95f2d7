/**
 * Bounds on the work a scan may ask for before anything in it is validated: a zip's entries are
 * unpacked only as far as these allow, and an image's pixel count is read from its header and
 * checked before it is decoded. A 4 MB zip can otherwise declare gigabytes of zeros, and a 1 MB PNG
 * a 20000x20000 image. The same limits hold in the page and on the command line.
 */
import { WholeScanError } from './scan-error.ts';

/**
 * Pixels in one image (colour, depth, label map, mask). 100 megapixels holds a 48 MP phone photo
 * (8064x6048), a 61 MP full-frame camera (9504x6336), a 4K video frame (8.3 MP) and ScanNet's
 * colour frames (1296x968) with room to spare; as RGBA8 it is 400 MB, about what one decoded frame
 * may take in a browser worker. jpeg-js's own default limit is the same.
 */
export const IMAGE_PIXEL_LIMIT = 100_000_000;

export interface ZipLimits {
  /** Bytes one entry may unpack to. */
  entryBytes: number;
  /** Bytes all the entries read from one zip may unpack to, together. */
  totalBytes: number;
}

/**
 * The largest files a scan holds are COLMAP point files (hundreds of MB for large models; the
 * text form cannot exceed V8's ~512 MB string limit anyway), float depth arrays (33 MB at 4K) and
 * images (a 100 MP 16-bit PNG is at most 800 MB raw): 1 GiB per entry refuses none of them and
 * still fits one ArrayBuffer in a browser. The total counts only entries the scan reads (a ScanNet
 * folder's multi-GB .sens file beside its exported frames is never unpacked): the page reads at
 * most 400 frames, and 400 frames of 20 MB photos with their depth and labels stay under 16 GiB,
 * while a zip whose entries each pass the per-entry limit is stopped after 16 GiB of work.
 */
export const ZIP_LIMITS: ZipLimits = { entryBytes: 2 ** 30, totalBytes: 16 * 2 ** 30 };

/**
 * Input over one of these limits. It ends the load: unlike a broken frame it is not skipped, as the
 * rest of a zip bomb would cost as much again.
 */
export class InputLimitError extends WholeScanError {}

/** Throws when an image of `width` x `height` is over the pixel limit. */
export function checkImagePixels(path: string, width: number, height: number, limit = IMAGE_PIXEL_LIMIT): void {
  if (width * height <= limit) return;
  const megapixels = (n: number): string => `${Number((n / 1e6).toFixed(2))}`;
  throw new InputLimitError(
    path,
    `declares ${width}x${height} = ${megapixels(width * height)} megapixels, over the limit of ${megapixels(limit)} megapixels per image`,
  );
}

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];

/** "1 GiB", "1.5 MiB", "1000 bytes": sizes in limit messages. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} byte${bytes === 1 ? '' : 's'}`;
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toFixed(2))} ${UNITS[unit]}`;
}
