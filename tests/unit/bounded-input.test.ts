/**
 * Input is bounded before it is validated: a zip's entries are unpacked only when the scan reads
 * them, never past the size their header declares nor past the limits of input-limits.ts, and an
 * image that declares more pixels than the limit is refused from its header. The bombs are made
 * here: gigabytes of zeros in a megabyte or two, headers that lie.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { decodeImageNode } from '../../src/cli/node-image-decoder.ts';
import { decodeRgba } from '../../src/scan/image-decoding.ts';
import { imageHeaderSize } from '../../src/scan/image-header.ts';
import { checkImagePixels, type ZipLimits } from '../../src/scan/input-limits.ts';
import { loadScan } from '../../src/scan/load-scan.ts';
import { MemorySource, type ScanSource } from '../../src/scan/scan-source.ts';
import type { Scan } from '../../src/scan/scan.ts';
import { zipSource } from '../../src/scan/zip-source.ts';
import { makeFixture, jpegWithOrientation, halfRedHalfBlue, type Files } from '../helpers/scan-fixtures.ts';
import { runCliPeakMemory } from '../helpers/scan-files.ts';
import { deflatedZeros, GIB, zip64Of, zipOf, type ZipSpec } from '../helpers/zip-files.ts';

const fixture = makeFixture(4, 32, 24);
/** 1.5 GiB of zeros, about 1.6 MB deflated. */
const ZEROS = deflatedZeros(1536);
const bomb = (path: string, declaredSize = 1536 * 2 ** 20): ZipSpec => ({ path, deflated: ZEROS, declaredSize });

/** The fixture scan's files as zip entries, some replaced or added. */
function scanEntries(changes: Record<string, ZipSpec> = {}, prefix = ''): ZipSpec[] {
  const entries: ZipSpec[] = [...fixture.files].map(([path, bytes]) => changes[path] ?? { path: prefix + path, bytes });
  return [...entries, ...Object.entries(changes).flatMap(([path, spec]) => (fixture.files.has(path) ? [] : [spec]))];
}

/** A real Blob that counts the bytes sliced out of it: what the zip reader looked at. */
class CountingBlob extends Blob {
  bytesRead = 0;
  override slice(start = 0, end = this.size, type?: string): Blob {
    this.bytesRead += Math.max(0, Math.min(end, this.size) - start);
    return super.slice(start, end, type);
  }
}

const countingBlobOf = (zip: Uint8Array): CountingBlob => new CountingBlob([zip as Uint8Array<ArrayBuffer>]);
const loadFrom = (source: ScanSource): Promise<Scan> => loadScan(source, { decodeImage: decodeImageNode });
const loadZip = async (blob: Blob, name = 'scan.zip', limits?: ZipLimits): Promise<Scan> => loadFrom(await zipSource(name, blob, limits));

describe('a zip is unpacked lazily and within limits', () => {
  it('a zipped scan loads as its folder does: deflated and stored entries under a top folder, and zip64', async () => {
    const folder = await loadFrom(new MemorySource('capture', fixture.files));
    const mixed = [...fixture.files].map(([path, bytes], i) => ({ path: `capture/${path}`, bytes, stored: i % 2 === 0 }));
    const zip64 = [...fixture.files].map(([path, bytes]) => ({ path: `capture/${path}`, bytes }));
    for (const zip of [zipOf(mixed), zip64Of(zip64)]) {
      const scan = await loadZip(countingBlobOf(zip), 'capture.zip');
      expect(scan.format).toBe(folder.format);
      expect(scan.frames).toHaveLength(4);
      scan.frames.forEach((f, i) => {
        expect(f.rgba).toEqual(folder.frames[i]!.rgba);
        expect(f.depth).toEqual(folder.frames[i]!.depth);
        expect(f.labels).toEqual(folder.frames[i]!.labels);
      });
      expect(scan.classes).toEqual(folder.classes);
    }
  });

  it('entries the scan does not use are never read: a scan beside 4 x 1.5 GiB of zeros loads in seconds', async () => {
    const zip = zipOf(scanEntries(Object.fromEntries(['a', 'b', 'c', 'd'].map((n) => [`zeros/${n}.bin`, bomb(`zeros/${n}.bin`)]))));
    const blob = countingBlobOf(zip);
    const started = performance.now();
    const scan = await loadZip(blob);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(scan.frames).toHaveLength(4);
    // Everything read is the scan's own files and the directory: none of the zeros' 6.4 MB.
    expect(blob.bytesRead).toBeLessThan(zip.length - 4 * ZEROS.length);
  });

  it("the issue's bomb, four big zero files and no scan, is refused as not a scan without unpacking any", async () => {
    const blob = countingBlobOf(zipOf(['a', 'b', 'c', 'd'].map((n) => bomb(`zeros/${n}.bin`))));
    await expect(loadZip(blob, 'bomb.zip')).rejects.toThrow(/^bomb\.zip: is not a scan layout this app knows/);
    expect(blob.bytesRead).toBeLessThan(1_000);
  });

  it('an entry the scan reads that declares more than the per-file limit is refused unread, and ends the load', async () => {
    const blob = countingBlobOf(zipOf(scanEntries({ 'rgb/rgb_1.png': bomb('rgb/rgb_1.png') })));
    await expect(loadZip(blob)).rejects.toThrow(
      /^scan\.zip: rgb\/rgb_1\.png unpacks to 1\.5 GiB, over the limit of 1 GiB for one file in a zip$/,
    );
    expect(blob.bytesRead).toBeLessThan(ZEROS.length);
  });

  it('an entry whose header understates its size is stopped at the declared size, long before it is unpacked', async () => {
    const blob = countingBlobOf(zipOf(scanEntries({ 'rgb/rgb_1.png': bomb('rgb/rgb_1.png', 1000) })));
    const started = performance.now();
    await expect(loadZip(blob)).rejects.toThrow(
      /^scan\.zip: rgb\/rgb_1\.png inflates past the 1000 bytes its header declares: the zip is damaged or forged$/,
    );
    // Unpacking the whole entry would take fflate tens of seconds (it makes ~0.1 GB/s of zeros).
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('an entry that inflates to less than it declares is damaged: that frame is skipped', async () => {
    const png = fixture.files.get('rgb/rgb_1.png')!;
    const deflated = deflateRawSync(png);
    const scan = await loadZip(
      countingBlobOf(zipOf(scanEntries({ 'rgb/rgb_1.png': { path: 'rgb/rgb_1.png', deflated, declaredSize: png.length + 1000 } }))),
    );
    expect(scan.frames).toHaveLength(3);
    expect(scan.warnings[0]).toMatch(
      /^skipped 1 of 4 frames: scan\.zip: rgb\/rgb_1\.png inflates to [\d.]+ KiB, not the [\d.]+ KiB its header declares: the zip is damaged$/,
    );
  });

  it('the total limit counts every entry read, again when read again', async () => {
    const random = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7919) % 251);
    const source = await zipSource(
      't.zip',
      countingBlobOf(
        zipOf([
          { path: 'a.bin', bytes: random(1000) },
          { path: 'b.bin', bytes: random(1000) },
        ]),
      ),
      {
        entryBytes: GIB,
        totalBytes: 2048,
      },
    );
    expect(await source.read('a.bin')).toEqual(random(1000));
    expect(await source.read('b.bin')).toEqual(random(1000));
    await expect(source.read('a.bin')).rejects.toThrow(
      /^t\.zip: a\.bin would take what is unpacked from this zip past 2 KiB, the limit for one zip$/,
    );
  });
});

/** A 1x1 PNG whose IHDR is rewritten to declare `width` x `height`: a signature, a header that lies, a tiny IDAT. */
function pngDeclaring(width: number, height: number): Uint8Array {
  const png = encode({ width: 1, height: 1, data: new Uint8Array([1, 2, 3]), channels: 3 });
  const view = new DataView(png.buffer, png.byteOffset);
  view.setUint32(16, width);
  view.setUint32(20, height);
  return png;
}

/** A real JPEG (with an EXIF segment before its frame header) whose SOF0 is rewritten to declare `width` x `height`. */
function jpegDeclaring(width: number, height: number): Uint8Array {
  const jpeg = jpegWithOrientation(halfRedHalfBlue(16, 8), 16, 8, 6);
  const sof = jpeg.findIndex((b, i) => b === 0xff && jpeg[i + 1] === 0xc0);
  const view = new DataView(jpeg.buffer, jpeg.byteOffset);
  view.setUint16(sof + 5, height);
  view.setUint16(sof + 7, width);
  return jpeg;
}

describe('an image that declares more pixels than the limit is refused from its header', () => {
  it('a PNG declaring 20000x20000 with a tiny IDAT, as colour or as depth, ends the load at once', async () => {
    for (const path of ['rgb/rgb_1.png', 'depth/depth_1.png']) {
      const files: Files = new Map(fixture.files).set(path, pngDeclaring(20000, 20000));
      const started = performance.now();
      await expect(loadFrom(new MemorySource('big', files))).rejects.toThrow(
        new RegExp(`^${path.replace(/[/.]/g, '\\$&')}: declares 20000x20000 = 400 megapixels, over the limit of 100 megapixels per image$`),
      );
      expect(performance.now() - started).toBeLessThan(2_000);
    }
  });

  it('a JPEG whose frame header declares 30000x20000', async () => {
    await expect(decodeRgba(jpegDeclaring(30000, 20000), 'big.jpg', decodeImageNode)).rejects.toThrow(
      /^big\.jpg: declares 30000x20000 = 600 megapixels, over the limit of 100 megapixels per image$/,
    );
  });

  it('reads the sizes real files declare, and lets real captures through', () => {
    expect(imageHeaderSize(jpegWithOrientation(halfRedHalfBlue(16, 8), 16, 8, 6))).toEqual({ width: 16, height: 8 });
    expect(imageHeaderSize(fixture.files.get('rgb/rgb_0.png')!)).toEqual({ width: 32, height: 24 });
    expect(imageHeaderSize(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16]))).toBeNull(); // cut short: the decoder says so
    // A 4K frame, a 48 MP phone photo, a 61 MP full-frame camera; one pixel row over 100 MP is not.
    for (const [w, h] of [
      [3840, 2160],
      [8064, 6048],
      [9504, 6336],
    ] as const)
      expect(() => checkImagePixels('photo.jpg', w, h)).not.toThrow();
    expect(() => checkImagePixels('photo.jpg', 10000, 10001)).toThrow(/100\.01 megapixels, over the limit of 100 megapixels/);
  });
});

describe('inspect-scan on a zip bomb', () => {
  it('prints one error line naming the file and the limit, exits 2, and stays far under 1 GB of memory', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'neurncd-bomb-'));
    const cases = [
      ['bomb.zip', bomb('rgb/rgb_0.png'), 'rgb/rgb_0.png unpacks to 1.5 GiB, over the limit of 1 GiB for one file in a zip'],
      [
        'forged.zip',
        bomb('rgb/rgb_0.png', 2048),
        'rgb/rgb_0.png inflates past the 2 KiB its header declares: the zip is damaged or forged',
      ],
    ] as const;
    for (const [name, entry, problem] of cases) {
      writeFileSync(join(dir, name), zipOf(scanEntries({ 'rgb/rgb_0.png': entry })));
      const run = await runCliPeakMemory(['inspect-scan', join(dir, name)]);
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(`error: ${name}: ${problem}\n`);
      expect(run.peakRssBytes).toBeLessThan(400 * 2 ** 20);
    }
  });
});
