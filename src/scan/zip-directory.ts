/**
 * A zip's table of contents, read from its central directory at the end of the file without
 * touching the entries: each entry's name, compression, sizes as declared, and where its data
 * starts. Zip64 archives (over 4 GiB or 65535 entries) included. The zip is a Blob read in slices,
 * so it never has to be in memory whole.
 */
import { strFromU8 } from 'fflate';

export interface ZipEntry {
  /** The path as stored in the zip. */
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  encrypted: boolean;
  compressedSize: number;
  /** What the central directory says the entry unpacks to. */
  size: number;
  /** Where the entry's local header starts. */
  headerOffset: number;
}

/** The zip's structure is broken; the message is the problem, without the file's name. */
export class ZipFormatError extends Error {}

const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_END_OF_DIRECTORY = 0x06064b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const ZIP64_EXTRA = 0x0001;
/** The end record (22 bytes) may be followed by a comment of up to 65535 bytes. */
const MAX_TAIL = 22 + 0xffff;
const SATURATED_32 = 0xffffffff;

export async function readBytes(blob: Blob, start: number, end: number): Promise<Uint8Array> {
  return new Uint8Array(await blob.slice(start, end).arrayBuffer());
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const u64 = (v: DataView, at: number): number => v.getUint32(at, true) + v.getUint32(at + 4, true) * 2 ** 32;

/**
 * The end record and the 20 bytes before it (where a zip64 locator sits). Most zips have no
 * comment, so the last 42 bytes are tried before the longest tail a comment allows.
 */
async function endRecord(blob: Blob): Promise<{ t: DataView; end: number }> {
  for (const length of [22 + 20, MAX_TAIL + 20]) {
    const t = view(await readBytes(blob, Math.max(0, blob.size - length), blob.size));
    for (let end = t.byteLength - 22; end >= 0; end--) if (t.getUint32(end, true) === END_OF_DIRECTORY) return { t, end };
    if (length >= blob.size) break;
  }
  throw new ZipFormatError('it has no end-of-directory record: the file is cut short, or not a zip');
}

export async function zipDirectory(blob: Blob): Promise<ZipEntry[]> {
  const { t, end } = await endRecord(blob);
  let count = t.getUint16(end + 10, true);
  let directorySize = t.getUint32(end + 12, true);
  let directoryOffset = t.getUint32(end + 16, true);
  const zip64 = end >= 20 && t.getUint32(end - 20, true) === ZIP64_LOCATOR;
  if (zip64) {
    const at = u64(t, end - 12);
    const record = view(await readBytes(blob, at, at + 56));
    if (record.byteLength < 56 || record.getUint32(0, true) !== ZIP64_END_OF_DIRECTORY) {
      throw new ZipFormatError('its zip64 end-of-directory record is missing or damaged');
    }
    count = u64(record, 32);
    directorySize = u64(record, 40);
    directoryOffset = u64(record, 48);
  }
  if (directoryOffset + directorySize > blob.size) {
    throw new ZipFormatError('its central directory lies past the end of the file: the file is cut short');
  }
  const directory = await readBytes(blob, directoryOffset, directoryOffset + directorySize);
  const d = view(directory);
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > directory.length || d.getUint32(at, true) !== DIRECTORY_ENTRY) {
      throw new ZipFormatError(`entry ${i + 1} of its central directory is damaged`);
    }
    const flags = d.getUint16(at + 8, true);
    const nameLength = d.getUint16(at + 28, true);
    const extraLength = d.getUint16(at + 30, true);
    const commentLength = d.getUint16(at + 32, true);
    if (at + 46 + nameLength + extraLength + commentLength > directory.length) {
      throw new ZipFormatError(`entry ${i + 1} of its central directory is damaged`);
    }
    // Names are UTF-8 when flag bit 11 says so, else (as fflate reads them) Latin-1.
    const name = strFromU8(directory.subarray(at + 46, at + 46 + nameLength), !(flags & 0x800));
    const entry: ZipEntry = {
      name,
      method: d.getUint16(at + 10, true),
      encrypted: (flags & 1) === 1,
      compressedSize: d.getUint32(at + 20, true),
      size: d.getUint32(at + 24, true),
      headerOffset: d.getUint32(at + 42, true),
    };
    if (!readZip64Extra(d, at + 46 + nameLength, extraLength, entry)) {
      throw new ZipFormatError(`entry ${i + 1} of its central directory (${name}) lacks the zip64 sizes it needs`);
    }
    entries.push(entry);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * Sizes and offsets saturated at 2^32-1 are in the zip64 extra field, in this order, 8 bytes each.
 * False when they should be there and are not.
 */
function readZip64Extra(d: DataView, start: number, length: number, entry: ZipEntry): boolean {
  const fields = (['size', 'compressedSize', 'headerOffset'] as const).filter((key) => entry[key] === SATURATED_32);
  if (!fields.length) return true;
  for (let at = start; at + 4 <= start + length; at += 4 + d.getUint16(at + 2, true)) {
    if (d.getUint16(at, true) !== ZIP64_EXTRA) continue;
    if (at + 4 + 8 * fields.length > start + length) return false;
    fields.forEach((key, i) => (entry[key] = u64(d, at + 4 + 8 * i)));
    return true;
  }
  return false;
}

/** Where an entry's data starts: after its local header, whose name and extra field may differ in length from the central directory's. */
export async function entryDataStart(blob: Blob, entry: ZipEntry): Promise<number | null> {
  const header = await readBytes(blob, entry.headerOffset, entry.headerOffset + 30);
  if (header.length < 30) return null;
  const h = view(header);
  if (h.getUint32(0, true) !== LOCAL_HEADER) return null;
  return entry.headerOffset + 30 + h.getUint16(26, true) + h.getUint16(28, true);
}
