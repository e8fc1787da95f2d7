/**
 * Image decoding for scans. PNGs are decoded in JavaScript everywhere (fast-png), so 16-bit depth
 * and label maps keep their exact values, which the browser's own decoders do not. Other formats
 * (JPEG, WebP) go through a platform decoder: the browser's createImageBitmap, or a JavaScript
 * decoder in Node; both apply the EXIF orientation. A PNG's or JPEG's declared size is checked
 * against the pixel limit (input-limits.ts) before either decodes it.
 */
import { decode, type DecodedPng } from 'fast-png';
import { imageHeaderSize, isPng } from './image-header.ts';
import { checkImagePixels } from './input-limits.ts';
import { ScanError } from './scan-error.ts';

export interface RgbaImage {
  width: number;
  height: number;
  /** RGBA8, row-major, straight (not premultiplied) alpha. */
  data: Uint8ClampedArray;
  hasAlpha: boolean;
}

export interface ScalarImage {
  width: number;
  height: number;
  data: Uint16Array | Uint8Array;
  bitDepth: number;
}

/** Decodes non-PNG images; throws ScanError naming `path` when the bytes are not an image. */
export type PlatformImageDecoder = (bytes: Uint8Array, path: string) => Promise<RgbaImage>;

/** Throws when the image's header declares more pixels than the limit; bytes whose size cannot be read are left to the decoder. */
function checkDeclaredPixels(bytes: Uint8Array, path: string): void {
  const size = imageHeaderSize(bytes);
  if (size) checkImagePixels(path, size.width, size.height);
}

function decodePngRaw(bytes: Uint8Array, path: string): DecodedPng {
  if (!isPng(bytes)) throw new ScanError(path, 'is not a PNG image');
  checkDeclaredPixels(bytes, path);
  try {
    return decode(bytes);
  } catch (e) {
    throw new ScanError(path, `is an unreadable or truncated PNG (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** A PNG as RGBA8 (16-bit colour is rounded to 8 bits; palettes and grey are expanded). */
export function decodePngRgba(bytes: Uint8Array, path: string): RgbaImage {
  return rgbaOf(decodePngRaw(bytes, path));
}

/**
 * A single-channel PNG with its exact values, any other PNG as RGBA8: for files that may be
 * either (masks), decoded once.
 */
export function decodePngScalarOrRgba(bytes: Uint8Array, path: string): { scalar: ScalarImage } | { rgba: RgbaImage } {
  const png = decodePngRaw(bytes, path);
  return !png.palette && png.channels === 1 ? { scalar: scalarOf(png) } : { rgba: rgbaOf(png) };
}

function rgbaOf(png: DecodedPng): RgbaImage {
  const n = png.width * png.height;
  const out = new Uint8ClampedArray(n * 4);
  const src = png.data;
  const shift = png.depth === 16 ? 257 : 1;
  const palette = png.palette;
  const ch = palette ? 1 : png.channels;
  let hasAlpha = false;
  for (let p = 0; p < n; p++) {
    let r: number;
    let g: number;
    let b: number;
    let a = 255;
    if (palette) {
      const entry = palette[src[p]!] ?? [0, 0, 0];
      [r, g, b] = entry as [number, number, number];
      if (entry.length > 3) a = entry[3]!;
    } else if (ch >= 3) {
      r = src[p * ch]! / shift;
      g = src[p * ch + 1]! / shift;
      b = src[p * ch + 2]! / shift;
      if (ch === 4) a = src[p * ch + 3]! / shift;
    } else {
      r = g = b = src[p * ch]! / shift;
      if (ch === 2) a = src[p * ch + 1]! / shift;
    }
    out[p * 4] = r;
    out[p * 4 + 1] = g;
    out[p * 4 + 2] = b;
    out[p * 4 + 3] = a;
    if (a !== 255) hasAlpha = true;
  }
  return { width: png.width, height: png.height, data: out, hasAlpha };
}

/** A single-channel PNG with its exact values (depth in sensor units, class ids). */
export function decodePngScalar(bytes: Uint8Array, path: string): ScalarImage {
  const png = decodePngRaw(bytes, path);
  if (png.palette || png.channels !== 1) {
    throw new ScanError(path, `should be a single-channel (grey) PNG, found ${png.palette ? 'a palette' : `${png.channels} channels`}`);
  }
  return scalarOf(png);
}

function scalarOf(png: DecodedPng): ScalarImage {
  return { width: png.width, height: png.height, data: png.data as Uint16Array | Uint8Array, bitDepth: png.depth };
}

export async function decodeRgba(bytes: Uint8Array, path: string, platform: PlatformImageDecoder): Promise<RgbaImage> {
  if (bytes.length === 0) throw new ScanError(path, 'is empty (0 bytes)');
  if (isPng(bytes)) return decodePngRgba(bytes, path);
  checkDeclaredPixels(bytes, path);
  return platform(bytes, path);
}
