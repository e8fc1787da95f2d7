/**
 * What an image's first bytes say: its format (by signature) and its size, read without decoding
 * it (PNG's IHDR chunk, JPEG's start-of-frame marker), so that an image declaring more pixels than the limit is refused before a
 * decoder allocates them.
 */
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(bytes: Uint8Array): boolean {
  return PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

export interface HeaderSize {
  width: number;
  height: number;
}

/** The declared size, or null when the bytes are not a PNG or JPEG or the header is cut short (the decoder then reports them). */
export function imageHeaderSize(bytes: Uint8Array): HeaderSize | null {
  if (isPng(bytes)) return pngHeaderSize(bytes);
  if (isJpeg(bytes)) return jpegHeaderSize(bytes);
  return null;
}

const u16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
const u32 = (b: Uint8Array, at: number): number => ((b[at]! << 24) >>> 0) + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);

/** IHDR is the first chunk: length (4), "IHDR", width (4), height (4). */
function pngHeaderSize(bytes: Uint8Array): HeaderSize | null {
  if (bytes.length < 24 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return null;
  return { width: u32(bytes, 16), height: u32(bytes, 20) };
}

/**
 * Walks the markers after SOI up to the first start-of-frame (SOF0..SOF15 but DHT C4, JPG C8 and
 * DAC CC): its segment holds precision (1), height (2), width (2). A scan (SOS) before any SOF
 * means there is none to read.
 */
function jpegHeaderSize(bytes: Uint8Array): HeaderSize | null {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      at += 2; // markers without a segment
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return at + 9 <= bytes.length ? { width: u16(bytes, at + 7), height: u16(bytes, at + 5) } : null;
    }
    at += 2 + u16(bytes, at + 2);
  }
  return null;
}
