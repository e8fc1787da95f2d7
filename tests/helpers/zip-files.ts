/**
 * Zips for tests, written with fflate's Zip: ordinary entries (deflated or stored), and bombs:
 * entries of gigabytes of zeros a megabyte or two long, and entries whose headers declare another
 * size than their data has. Plus a zip64 archive written by hand (fflate does not write zip64).
 */
import { constants, crc32, deflateRawSync } from 'node:zlib';
import { Zip, ZipDeflate, ZipPassThrough, type ZipInputFile } from 'fflate';

export const MIB = 2 ** 20;
export const GIB = 2 ** 30;

export const blobOf = (bytes: Uint8Array): Blob => new Blob([bytes as Uint8Array<ArrayBuffer>]);

/**
 * A raw DEFLATE stream of `mebibytes` MiB of zeros (about 1 KB per MiB). fflate takes tens of
 * seconds to compress a GiB of zeros; zlib's stream for one MiB, flushed to a byte boundary and not
 * final, can be repeated as it is, and an empty final block ends the stream.
 */
export function deflatedZeros(mebibytes: number): Uint8Array {
  const block = deflateRawSync(new Uint8Array(MIB), { level: 9, finishFlush: constants.Z_SYNC_FLUSH });
  const out = new Uint8Array(block.length * mebibytes + 2);
  for (let i = 0; i < mebibytes; i++) out.set(block, i * block.length);
  out.set([0x03, 0x00], block.length * mebibytes); // final fixed-Huffman block holding only its end code
  return out;
}

export type ZipSpec =
  /** Compressed by fflate (level 0: stored). */
  | { path: string; bytes: Uint8Array; stored?: boolean }
  /** A ready DEFLATE stream, under the uncompressed size its headers are to declare (true or not). */
  | { path: string; deflated: Uint8Array; declaredSize: number };

export function zipOf(entries: ZipSpec[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const zip = new Zip((error, chunk) => {
    if (error) throw error;
    parts.push(chunk);
  });
  for (const entry of entries) {
    if ('bytes' in entry) {
      const file = entry.stored ? new ZipPassThrough(entry.path) : new ZipDeflate(entry.path, { level: 6 });
      zip.add(file);
      file.push(entry.bytes, true);
    } else {
      // The reader does not check CRCs (neither did fflate's unzipSync), so none is computed.
      const file: ZipInputFile = { filename: entry.path, size: entry.declaredSize, crc: 0, compression: 8 };
      zip.add(file);
      file.ondata!(null, entry.deflated as Uint8Array<ArrayBuffer>, true);
    }
  }
  zip.end();
  return concat(parts);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A zip64 archive of stored entries, as tools write archives over 4 GiB: every size and offset in
 * the central directory saturated at 0xffffffff with the real values in a zip64 extra field, and
 * the entry count and directory position in a zip64 end record (the classic one saturated too).
 */
export function zip64Of(entries: { path: string; bytes: Uint8Array }[]): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const directory: Uint8Array[] = [];
  let offset = 0;
  for (const { path, bytes } of entries) {
    const name = enc.encode(path);
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 45, true);
    local.setUint16(26, name.length, true);
    local.setUint32(14, crc32(bytes), true);
    local.setUint32(18, bytes.length, true);
    local.setUint32(22, bytes.length, true);
    parts.push(new Uint8Array(local.buffer), name, bytes);
    const central = new DataView(new ArrayBuffer(46 + 28));
    central.setUint32(0, 0x02014b50, true);
    central.setUint16(4, 45, true);
    central.setUint16(6, 45, true);
    central.setUint16(8, 0x800, true); // UTF-8 name
    central.setUint32(16, crc32(bytes), true);
    central.setUint32(20, 0xffffffff, true);
    central.setUint32(24, 0xffffffff, true);
    central.setUint16(28, name.length, true);
    central.setUint16(30, 28, true);
    central.setUint32(42, 0xffffffff, true);
    const extra = new DataView(central.buffer, 46);
    extra.setUint16(0, 0x0001, true);
    extra.setUint16(2, 24, true);
    extra.setBigUint64(4, BigInt(bytes.length), true); // uncompressed
    extra.setBigUint64(12, BigInt(bytes.length), true); // compressed
    extra.setBigUint64(20, BigInt(offset), true); // local header
    const record = new Uint8Array(central.buffer);
    directory.push(new Uint8Array([...record.subarray(0, 46), ...name, ...record.subarray(46)]));
    offset += 30 + name.length + bytes.length;
  }
  const directoryBytes = concat(directory);
  const end64 = new DataView(new ArrayBuffer(56));
  end64.setUint32(0, 0x06064b50, true);
  end64.setBigUint64(4, 44n, true);
  end64.setBigUint64(24, BigInt(entries.length), true);
  end64.setBigUint64(32, BigInt(entries.length), true);
  end64.setBigUint64(40, BigInt(directoryBytes.length), true);
  end64.setBigUint64(48, BigInt(offset), true);
  const locator = new DataView(new ArrayBuffer(20));
  locator.setUint32(0, 0x07064b50, true);
  locator.setBigUint64(8, BigInt(offset + directoryBytes.length), true);
  locator.setUint32(16, 1, true);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, 0xffff, true);
  end.setUint16(10, 0xffff, true);
  end.setUint32(12, 0xffffffff, true);
  end.setUint32(16, 0xffffffff, true);
  return concat([...parts, directoryBytes, new Uint8Array(end64.buffer), new Uint8Array(locator.buffer), new Uint8Array(end.buffer)]);
}
