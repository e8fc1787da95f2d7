/**
 * The browser's own decoder for JPEG/WebP (and anything else it reads), in a worker: EXIF
 * orientation applied, no colour-space conversion, straight alpha. A JPEG's size was checked from
 * its header before; formats whose header is not read (WebP) are checked once decoded, before the
 * canvas copy that would double their memory.
 */
import type { RgbaImage } from './image-decoding.ts';
import { checkImagePixels } from './input-limits.ts';
import { ScanError } from './scan-error.ts';

export async function decodeImageBrowser(bytes: Uint8Array, path: string): Promise<RgbaImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]), {
      imageOrientation: 'from-image',
      colorSpaceConversion: 'none',
      premultiplyAlpha: 'none',
    });
  } catch {
    throw new ScanError(path, 'is not an image this browser can read, or it is truncated');
  }
  try {
    checkImagePixels(path, bitmap.width, bitmap.height);
  } catch (e) {
    bitmap.close();
    throw e;
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let hasAlpha = false;
  for (let p = 3; p < data.length; p += 4) {
    if (data[p] !== 255) {
      hasAlpha = true;
      break;
    }
  }
  return { width: canvas.width, height: canvas.height, data, hasAlpha };
}
