/**
 * CRC-32 against known answers: the check value every CRC-32 catalogue lists, and the checksum
 * fflate writes into a ZIP entry (its own implementation) for a megabyte of varied bytes.
 */
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { crc32, crc32Hex } from '../../src/math/crc32.ts';
import { seededUniform } from '../../src/math/seeded-uniform.ts';

describe('crc32', () => {
  it('gives the catalogued check value and nothing for no bytes', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32Hex(0xcbf43926)).toBe('0xcbf43926');
    expect(crc32Hex(0x1f)).toBe('0x0000001f');
  });

  it("agrees with the CRC-32 fflate stores in a ZIP entry's local header", () => {
    const random = seededUniform(7);
    const data = Uint8Array.from({ length: 1 << 20 }, () => Math.floor(random() * 256));
    const zip = zipSync({ 'a.bin': [data, { level: 0 }] });
    // Local file header: signature PK\x03\x04, then the CRC-32 at byte 14.
    expect(new DataView(zip.buffer, zip.byteOffset).getUint32(14, true)).toBe(crc32(data));
  });
});
