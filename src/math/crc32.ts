/**
 * CRC-32 (the IEEE polynomial zlib, PNG and ZIP use), table-driven a byte at a time. fflate
 * computes the same for its ZIP entries but does not export it, and Node's zlib.crc32 is neither
 * in Node 20 nor in the browser.
 */
const TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}

/** The CRC-32 of `bytes` as an unsigned 32-bit number. */
export function crc32(bytes: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** As checkpoint messages show it: 0x and 8 hexadecimal digits. */
export const crc32Hex = (crc: number): string => `0x${crc.toString(16).padStart(8, '0')}`;
