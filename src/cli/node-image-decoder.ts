/**
 * JPEG decoding for Node (the page uses the browser's decoder): jpeg-js, with the EXIF
 * orientation applied as browsers do.
 */
import exifr from 'exifr';
import jpeg from 'jpeg-js';
import type { RgbaImage } from '../scan/image-decoding.ts';
import { isJpeg } from '../scan/image-header.ts';
import { IMAGE_PIXEL_LIMIT } from '../scan/input-limits.ts';
import { ScanError } from '../scan/scan-error.ts';

export async function decodeImageNode(bytes: Uint8Array, path: string): Promise<RgbaImage> {
  if (!isJpeg(bytes)) throw new ScanError(path, 'is not a PNG or JPEG image');
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxMemoryUsageInMB: 2048,
      // The header check in image-decoding.ts comes first; this is jpeg-js's own, at the same limit.
      maxResolutionInMP: IMAGE_PIXEL_LIMIT / 1e6,
    });
  } catch (e) {
    throw new ScanError(path, `is an unreadable or truncated JPEG (${e instanceof Error ? e.message : String(e)})`);
  }
  const orientation = ((await exifr.orientation(bytes).catch(() => undefined)) as number | undefined) ?? 1;
  const image = {
    width: decoded.width,
    height: decoded.height,
    data: new Uint8ClampedArray(decoded.data.buffer, decoded.data.byteOffset, decoded.data.length),
    hasAlpha: false,
  };
  return orientation === 1 ? image : orient(image, orientation);
}

/** Applies EXIF orientation 2..8 (mirrors and quarter turns). */
export function orient(image: RgbaImage, orientation: number): RgbaImage {
  const { width: w, height: h, data } = image;
  const swap = orientation >= 5;
  const W = swap ? h : w;
  const H = swap ? w : h;
  const out = new Uint8ClampedArray(W * H * 4);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      // Source pixel shown at (x, y) for each EXIF orientation.
      let sx: number;
      let sy: number;
      switch (orientation) {
        case 2:
          [sx, sy] = [w - 1 - x, y];
          break;
        case 3:
          [sx, sy] = [w - 1 - x, h - 1 - y];
          break;
        case 4:
          [sx, sy] = [x, h - 1 - y];
          break;
        case 5:
          [sx, sy] = [y, x];
          break;
        case 6:
          [sx, sy] = [y, h - 1 - x];
          break;
        case 7:
          [sx, sy] = [w - 1 - y, h - 1 - x];
          break;
        case 8:
          [sx, sy] = [w - 1 - y, x];
          break;
        default:
          [sx, sy] = [x, y];
      }
      out.set(data.subarray((sy * w + sx) * 4, (sy * w + sx) * 4 + 4), (y * W + x) * 4);
    }
  }
  return { width: W, height: H, data: out, hasAlpha: image.hasAlpha };
}
