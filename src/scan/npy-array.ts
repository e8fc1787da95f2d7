/**
 * A 2-D NumPy array from a .npy file (depth maps nerfstudio's tools and others save with
 * np.save). The format is a 10-byte preamble (magic "\x93NUMPY", version, header length), a
 * Python dict literal {'descr', 'fortran_order', 'shape'}, then the raw values. Only what depth
 * maps use is read: little-endian float32, float16, float64 and uint16, C order, shape (H, W) or
 * (H, W, 1).
 */
import { ScanError } from './scan-error.ts';

export interface NpyImage {
  width: number;
  height: number;
  data: Float32Array | Uint16Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
/** Bytes per value of the supported dtypes ('<': little-endian). */
const ITEM_SIZE: Record<string, number> = { '<f4': 4, '<f2': 2, '<f8': 8, '<u2': 2 };

export function isNpy(bytes: Uint8Array): boolean {
  return MAGIC.every((b, i) => bytes[i] === b);
}

/** IEEE 754 half precision to a number. */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** A value of the header dict, as written by NumPy's repr: 'descr': '<f4', 'shape': (480, 640), ... */
function headerValue(header: string, key: string, path: string): string {
  const m = new RegExp(`['"]${key}['"]\\s*:\\s*('[^']*'|"[^"]*"|\\([^)]*\\)|True|False)`).exec(header);
  if (!m) throw new ScanError(path, `is a .npy array whose header has no readable '${key}' (header: ${header.trim().slice(0, 80)})`);
  return m[1]!;
}

export function decodeNpy(bytes: Uint8Array, path: string): NpyImage {
  if (!isNpy(bytes)) throw new ScanError(path, 'is not a .npy array (it does not start with \\x93NUMPY)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw new ScanError(path, `is a .npy array of format version ${major}, only versions 1 to 3 are known`);
  // Version 1 stores the header length in 2 bytes, versions 2 and 3 in 4.
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw new ScanError(path, 'is a truncated .npy array (no header)');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lengthBytes + headerLength;
  if (bytes.length < dataStart) throw new ScanError(path, 'is a truncated .npy array (its header is cut)');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(8 + lengthBytes, dataStart));
  const descr = headerValue(header, 'descr', path).slice(1, -1);
  if (!(descr in ITEM_SIZE)) {
    throw new ScanError(path, `is a .npy array of dtype '${descr}'; depth must be little-endian float32, float16, float64 or uint16`);
  }
  if (headerValue(header, 'fortran_order', path) !== 'False') {
    throw new ScanError(path, 'is a .npy array in Fortran (column-major) order; save it in C order (np.ascontiguousarray)');
  }
  const shape = headerValue(header, 'shape', path)
    .slice(1, -1)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const is2d = shape.length === 2 || (shape.length === 3 && shape[2] === 1);
  if (!is2d || shape.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new ScanError(path, `is a .npy array of shape (${shape.join(', ')}); a depth map is (height, width) or (height, width, 1)`);
  }
  const [height, width] = shape as [number, number];
  const n = width * height;
  const size = ITEM_SIZE[descr]!;
  if (bytes.length < dataStart + n * size) {
    throw new ScanError(
      path,
      `is a truncated .npy array: ${height}x${width} ${descr} needs ${n * size} bytes, it has ${bytes.length - dataStart}`,
    );
  }
  const at = (i: number): number => dataStart + i * size;
  switch (descr) {
    case '<u2':
      return { width, height, data: Uint16Array.from({ length: n }, (_, i) => view.getUint16(at(i), true)) };
    case '<f2':
      return { width, height, data: Float32Array.from({ length: n }, (_, i) => halfToNumber(view.getUint16(at(i), true))) };
    case '<f8':
      return { width, height, data: Float32Array.from({ length: n }, (_, i) => view.getFloat64(at(i), true)) };
    default:
      return { width, height, data: Float32Array.from({ length: n }, (_, i) => view.getFloat32(at(i), true)) };
  }
}
