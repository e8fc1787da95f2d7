/**
 * Checkpoints of the whole trained state: a trainer restored from one takes the same next steps as
 * the trainer that was saved (so the optimiser and the occupancy grid came back, not only the
 * weights), the format round-trips byte for byte, bad files are refused with a message that names
 * the problem (a flipped bit with the part it hit), and the header is plain JSON. A small network
 * and grid, a few steps: the kernels are the same at any size.
 */
import { describe, expect, it } from 'vitest';
import { decodeImageNode } from '../../src/cli/node-image-decoder.ts';
import {
  CHECKPOINT_MAGIC,
  CheckpointError,
  MAX_HEADER_BYTES,
  MAX_HEADER_DEPTH,
  compareSettings,
  encodeCheckpoint,
  loadCheckpoint,
  restoreCheckpoint,
  saveCheckpoint,
  trainerFromCheckpoint,
  type Checkpoint,
  type CheckpointHeader,
} from '../../src/field/checkpoint.ts';
import { FieldTrainer, type TrainerSettings } from '../../src/field/field-trainer.ts';
import { hashGridLayout } from '../../src/field/hash-grid.ts';
import { uploadTrainingFrames, type TrainingFrames } from '../../src/field/training-frames.ts';
import { PipelineCache } from '../../src/gpu/pipeline-cache.ts';
import { crc32, crc32Hex } from '../../src/math/crc32.ts';
import { seededUniform } from '../../src/math/seeded-uniform.ts';
import { loadScan } from '../../src/scan/load-scan.ts';
import { MemorySource } from '../../src/scan/scan-source.ts';
import { getTestGpu } from '../helpers/node-gpu.ts';
import { makeFixture } from '../helpers/scan-fixtures.ts';
import { tinyTrainerSettings } from '../helpers/tiny-trainer.ts';

const KNOWN = [1, 2, 4, 5, 6, 7, 9, 10, 12];
/** Steps before the save and after it. With an occupancy update every 2 steps over a quarter of
 * the cells, the first full sweep (when the bits are first packed) falls after the save. */
const BEFORE = 6;
const AFTER = 6;
/** Training on the GPU is not bit-reproducible (hash-grid gradients are summed by float atomics in
 * whatever order threads arrive): two identical runs differ by ~1e-7 after 12 steps. */
const TOLERANCE = 1e-6;
const META = { scan: 'tiny generated room', frames: 4 };

const settings = (overrides: { seed?: number; log2TableSize?: number } = {}): TrainerSettings =>
  tinyTrainerSettings(KNOWN.length, overrides);

interface Setup {
  cache: PipelineCache;
  frames: TrainingFrames;
  /** Trained for BEFORE steps, then saved. */
  trainer: FieldTrainer;
  bytes: Uint8Array;
}

let setup: Promise<Setup> | undefined;
function trained(): Promise<Setup> {
  setup ??= (async () => {
    const { device } = await getTestGpu();
    const scan = await loadScan(new MemorySource('tiny', makeFixture(4, 32, 24, 5).files), { decodeImage: decodeImageNode });
    const cache = new PipelineCache(device);
    const frames = uploadTrainingFrames(
      device,
      scan,
      scan.frames.map((_, i) => i),
      { from: 'labels', knownClasses: KNOWN },
    );
    const trainer = new FieldTrainer(cache, settings(), frames);
    for (let i = 0; i < BEFORE; i++) trainer.step();
    return { cache, frames, trainer, bytes: await saveCheckpoint(trainer, META) };
  })();
  return setup;
}

/** Largest difference between two sections, relative to the value where it exceeds 1. */
function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(a[i]!)));
  return worst;
}

/** Where the header's JSON starts: after the magic, its length and its CRC-32. */
const HEADER_AT = 16;

function headerOf(bytes: Uint8Array): { header: CheckpointHeader; json: string } {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const json = new TextDecoder().decode(bytes.subarray(HEADER_AT, HEADER_AT + length));
  return { header: JSON.parse(json) as CheckpointHeader, json };
}

/** A file of the magic, this header text with its length and CRC-32, and nothing after it. */
function withHeaderText(text: string): Uint8Array {
  const json = new TextEncoder().encode(text);
  const out = new Uint8Array(HEADER_AT + json.length);
  out.set(new TextEncoder().encode(CHECKPOINT_MAGIC));
  new DataView(out.buffer).setUint32(8, json.length, true);
  new DataView(out.buffer).setUint32(12, crc32(json), true);
  out.set(json, HEADER_AT);
  return out;
}

/** The same file with `from` replaced by `to` (same length) in its header, and the header's CRC-32 to match. */
function patchHeader(bytes: Uint8Array, from: string, to: string): Uint8Array {
  expect(to.length).toBe(from.length);
  const { json } = headerOf(bytes);
  expect(json).toContain(from);
  const out = bytes.slice();
  const patched = new TextEncoder().encode(json.replace(from, to));
  out.set(patched, HEADER_AT);
  new DataView(out.buffer).setUint32(12, crc32(patched), true);
  return out;
}

/** The same file with element `index` of section `name` set to `value`, as damage would (the CRC-32 no longer matches). */
function poke(bytes: Uint8Array, name: string, index: number, value: number): Uint8Array {
  const section = headerOf(bytes).header.sections.find((s) => s.name === name)!;
  const out = bytes.slice();
  new DataView(out.buffer).setFloat32(section.offset + index * 4, value, true);
  return out;
}

/** The file saved again with element `index` of section `name` set to `value` (so with checksums that match). */
function resaved(bytes: Uint8Array, name: string, index: number, value: number): Uint8Array {
  const c = loadCheckpoint(bytes);
  const data = c.sections.get(name)!.slice();
  data[index] = value;
  return encodeCheckpoint({ ...c, sections: new Map([...c.sections].map(([n, d]) => [n, n === name ? data : d])) });
}

/** {a: {a: ... {a: 1}}}, `depth` objects deep. */
const nested = (depth: number): unknown => (depth === 0 ? 1 : { a: nested(depth - 1) });

const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointError);
    return (e as Error).message;
  }
  throw new Error('expected a CheckpointError');
};

describe('checkpoint (whole trained state)', () => {
  it(`resumes exactly: restored, it takes the same ${AFTER} next steps as the trainer it was saved from`, async () => {
    const started = performance.now();
    const { cache, frames, trainer, bytes } = await trained();
    const saved = loadCheckpoint(bytes);
    expect(saved.steps).toBe(BEFORE);
    expect(saved.adamSteps).toBe(BEFORE);
    expect(saved.occupancy).toEqual({ nextCell: (3 * 16 ** 3) / 4, visited: (3 * 16 ** 3) / 4, updates: 3 });

    // Restored into a trainer initialised differently: the seed is not structural, only reported.
    const restored = new FieldTrainer(cache, settings({ seed: 7 }), frames);
    expect(restoreCheckpoint(restored, bytes).differences).toEqual(['field.seed is 1 in the checkpoint but 7 in the trainer']);

    // Controls: the same restore with one piece of state dropped must not resume the same way, or
    // the comparison below would prove nothing about that piece.
    const drop = (
      c: Checkpoint,
      prefix: string,
      fill: (n: number) => Float32Array | Uint32Array,
    ): Map<string, Float32Array | Uint32Array> =>
      new Map([...c.sections].map(([name, data]) => [name, name.startsWith(prefix) ? fill(data.length) : data]));
    const controls: { what: string; checkpoint: Checkpoint; diverges: string }[] = [
      {
        what: 'Adam moments and step count',
        checkpoint: { ...saved, adamSteps: 0, sections: drop(saved, 'adam/', (n) => new Float32Array(n)) },
        diverges: 'params/hashGrid',
      },
      { what: 'the trainer step count (batch seeds)', checkpoint: { ...saved, steps: 0 }, diverges: 'params/hashGrid' },
      {
        what: 'the occupancy cursor',
        checkpoint: { ...saved, occupancy: { nextCell: 0, visited: 0, updates: 0 } },
        diverges: 'occupancy/density',
      },
      {
        what: 'the occupancy densities',
        checkpoint: {
          ...saved,
          sections: new Map([...saved.sections].map(([n, d]) => [n, n === 'occupancy/density' ? new Float32Array(d.length) : d])),
        },
        diverges: 'occupancy/density',
      },
    ];
    const controlTrainers = controls.map((c) => {
      const t = new FieldTrainer(cache, settings(), frames);
      restoreCheckpoint(t, c.checkpoint);
      return t;
    });

    for (let i = 0; i < AFTER; i++) {
      for (const t of [trainer, restored, ...controlTrainers]) t.step();
    }
    const [a, b, ...c] = await Promise.all([trainer, restored, ...controlTrainers].map((t) => saveCheckpoint(t).then(loadCheckpoint)));
    expect(b!.steps).toBe(BEFORE + AFTER);
    expect(b!.adamSteps).toBe(a!.adamSteps);
    expect(b!.occupancy).toEqual(a!.occupancy);
    // The occupancy grid's first full sweep (and packing of its bits) happened after the restore.
    expect(a!.occupancy.visited).toBeGreaterThanOrEqual(16 ** 3);

    const report: string[] = [];
    for (const [name, data] of a!.sections) {
      const other = b!.sections.get(name)!;
      if (data instanceof Uint32Array) {
        expect(Array.from(other), name).toEqual(Array.from(data));
      } else {
        const d = maxDifference(data, other);
        report.push(`${name} ${d.toExponential(1)}`);
        expect(d, name).toBeLessThanOrEqual(TOLERANCE);
      }
    }
    // Training moved the parameters after the save by far more than the tolerance.
    expect(maxDifference(saved.sections.get('params/hashGrid')!, a!.sections.get('params/hashGrid')!)).toBeGreaterThan(1e-3);
    controls.forEach((control, i) => {
      const d = maxDifference(a!.sections.get(control.diverges)!, c[i]!.sections.get(control.diverges)!);
      report.push(`without ${control.what}: ${control.diverges} ${d.toExponential(1)}`);
      expect(d, `without ${control.what}`).toBeGreaterThan(100 * TOLERANCE);
    });
    console.log(
      `[checkpoint] ${(bytes.length / 1024).toFixed(0)} KiB; largest difference after ${AFTER} more steps:\n  ${report.join('\n  ')}`,
    );
    console.log(`[checkpoint] resume test ${((performance.now() - started) / 1000).toFixed(1)} s`);
  });

  it('save -> load -> save gives the same bytes', async () => {
    const { cache, frames, bytes } = await trained();
    const loaded = loadCheckpoint(bytes);
    expect(loaded.meta).toEqual(META);
    expect(encodeCheckpoint(loaded)).toEqual(bytes);
    const again = await saveCheckpoint(trainerFromCheckpoint(cache, bytes, frames), loaded.meta);
    expect(again.length).toBe(bytes.length);
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
    // Loading does not depend on where the bytes sit in memory.
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(encodeCheckpoint(loadCheckpoint(shifted.subarray(3)))).toEqual(bytes);
  });

  it('refuses bad input with a message that names the problem', async () => {
    const { cache, frames, trainer, bytes } = await trained();
    const zip = bytes.slice();
    zip.set([0x50, 0x4b, 0x03, 0x04], 0);
    expect(refusal(() => loadCheckpoint(zip))).toMatch(
      /^not a NeurNCD checkpoint: the file starts with "PK\\x03\\x04KPT2", not "NCDCKPT2"/,
    );
    expect(refusal(() => loadCheckpoint(new Uint8Array(0)))).toMatch(/^not a NeurNCD checkpoint/);

    // Version 1 had no checksums: it is named, not loaded unchecked.
    const versionOne = bytes.slice();
    versionOne.set(new TextEncoder().encode('NCDCKPT1'));
    expect(refusal(() => loadCheckpoint(versionOne))).toBe(
      'checkpoint version 1 (written before checkpoints carried checksums) is no longer read: this build reads version 2; train again and save a new checkpoint',
    );
    expect(refusal(() => loadCheckpoint(patchHeader(bytes, '"version": 2', '"version": 3')))).toBe(
      'unsupported checkpoint version 3: this build reads version 2',
    );

    expect(refusal(() => loadCheckpoint(bytes.subarray(0, bytes.length - 100)))).toBe(
      `truncated checkpoint: section occupancy/bits ends at byte ${bytes.length} but the file has ${bytes.length - 100} bytes`,
    );
    expect(refusal(() => loadCheckpoint(bytes.subarray(0, 200)))).toMatch(
      /^truncated checkpoint: the header ends at byte \d+ but the file has 200 bytes$/,
    );

    const longer = new Uint8Array(bytes.length + 16);
    longer.set(bytes);
    expect(refusal(() => loadCheckpoint(longer))).toBe('checkpoint has 16 bytes after section occupancy/bits, where the file should end');

    // Damage is named as damage, with the checksum the data has and the one the header holds.
    const damaged = poke(bytes, 'params/densityNet', 5, NaN);
    const densityNet = headerOf(bytes).header.sections.find((s) => s.name === 'params/densityNet')!;
    const damagedCrc = crc32(damaged.subarray(densityNet.offset, densityNet.offset + densityNet.byteLength));
    expect(refusal(() => loadCheckpoint(damaged))).toBe(
      `checkpoint section params/densityNet is corrupt (CRC32 ${crc32Hex(damagedCrc)}, the header says ${crc32Hex(densityNet.crc32)})`,
    );
    // A diverged training saved with matching checksums is refused for its values.
    expect(refusal(() => loadCheckpoint(resaved(bytes, 'params/densityNet', 5, NaN)))).toMatch(
      /^checkpoint section params\/densityNet holds NaN at element 5/,
    );
    expect(refusal(() => loadCheckpoint(resaved(bytes, 'adam/hashGrid/v', 17, Infinity)))).toMatch(
      /^checkpoint section adam\/hashGrid\/v holds an infinity at element 17/,
    );

    // Settings that fix a buffer's shape must match: each is named with both values.
    const bigger = new FieldTrainer(cache, settings({ log2TableSize: 13 }), frames);
    expect(refusal(() => restoreCheckpoint(bigger, bytes))).toBe(
      'checkpoint does not fit this trainer: field.hashGrid.log2TableSize is 12 in the checkpoint but 13 in the trainer',
    );
    const other = { ...settings(), field: { ...settings().field, k: 13 }, occupancy: { ...settings().occupancy, res: 32 } };
    expect(refusal(() => compareSettings(settings(), other))).toBe(
      'checkpoint does not fit this trainer: field.k is 9 in the checkpoint but 13 in the trainer; occupancy.res is 16 in the checkpoint but 32 in the trainer',
    );
    // A refused restore leaves the trainer as it was.
    expect(bigger.steps).toBe(0);
    expect(trainer.steps).toBeGreaterThanOrEqual(BEFORE);
  });

  it('has a header of plain JSON with the full settings and a table of aligned, checksummed sections', async () => {
    const { bytes } = await trained();
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('NCDCKPT2');
    expect(CHECKPOINT_MAGIC).toBe('NCDCKPT2');
    const { header, json } = headerOf(bytes);
    expect(json.startsWith('{')).toBe(true);
    const jsonBytes = new TextEncoder().encode(json);
    // The header's CRC-32 sits before it; the same function as zlib's (crc32.test.ts).
    expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true)).toBe(crc32(jsonBytes));
    expect(header.format).toBe('NeurNCD-web checkpoint');
    expect(header.version).toBe(2);
    expect(header.settings).toEqual(settings());
    expect(header.meta).toEqual(META);
    expect(header.steps).toBe(BEFORE);
    expect(header.adam.steps).toBe(BEFORE);
    const names = header.sections.map((s) => s.name);
    for (const g of ['hashGrid', 'densityNet', 'colourNet', 'embeddingNet'])
      expect(names).toEqual(expect.arrayContaining([`params/${g}`, `adam/${g}/m`, `adam/${g}/v`]));
    expect(names).toEqual(expect.arrayContaining(['occupancy/density', 'occupancy/bits']));
    let end = HEADER_AT + jsonBytes.length;
    for (const s of header.sections) {
      expect(s.offset, s.name).toBe(Math.ceil(end / 16) * 16);
      expect(bytes.subarray(end, s.offset).every((b) => b === 0)).toBe(true);
      expect(s.byteLength).toBe(s.count * 4);
      expect(['f32', 'u32']).toContain(s.type);
      expect(s.crc32, s.name).toBe(crc32(bytes.subarray(s.offset, s.offset + s.byteLength)));
      end = s.offset + s.byteLength;
    }
    expect(end).toBe(bytes.length);
    expect(header.sections.find((s) => s.name === 'params/hashGrid')).toMatchObject({
      type: 'f32',
      count: hashGridLayout(settings().field.hashGrid).parameterCount,
    });
    expect(header.sections.find((s) => s.name === 'occupancy/density')).toMatchObject({ type: 'f32', count: 16 ** 3 });
    expect(header.sections.find((s) => s.name === 'occupancy/bits')).toMatchObject({ type: 'u32', count: 16 ** 3 / 32 });
  });

  it('refuses every flipped bit of the header and of 3000 places in the sections, naming the part it hit', async () => {
    const started = performance.now();
    const { bytes } = await trained();
    const { header, json } = headerOf(bytes);
    const headerEnd = HEADER_AT + new TextEncoder().encode(json).length;
    // Each part of the file, and the message a flip in it must give.
    const parts: { what: string; from: number; to: number; accepts: (message: string) => boolean }[] = [
      { what: 'magic', from: 0, to: 8, accepts: (m) => /^not a NeurNCD checkpoint: the file starts with ".+", not "NCDCKPT2"$/.test(m) },
      {
        what: 'header length',
        from: 8,
        to: 12,
        accepts: (m) =>
          /^(checkpoint header is \d+ bytes, over the limit|truncated checkpoint: the header ends|checkpoint header is corrupt)/.test(m),
      },
      {
        what: 'header',
        from: 12,
        to: headerEnd,
        accepts: (m) => /^checkpoint header is corrupt \(CRC32 0x[0-9a-f]{8}, the file says 0x[0-9a-f]{8}\)$/.test(m),
      },
    ];
    let end = headerEnd;
    let before = 'the header';
    for (const s of header.sections) {
      const padding = `checkpoint padding after ${before} is not zero at byte `;
      if (s.offset > end) parts.push({ what: `padding after ${before}`, from: end, to: s.offset, accepts: (m) => m.startsWith(padding) });
      const corrupt = `checkpoint section ${s.name} is corrupt (CRC32 `;
      parts.push({ what: s.name, from: s.offset, to: s.offset + s.byteLength, accepts: (m) => m.startsWith(corrupt) });
      end = s.offset + s.byteLength;
      before = `section ${s.name}`;
    }
    expect(end).toBe(bytes.length);

    // Every bit before the first section (refused at the header's checksum, so cheaply), every bit
    // of the padding and of each section's first and last byte; 3000 bits at random in the sections.
    const flips: number[] = [];
    const everyBit = (from: number, to: number): void => {
      for (let bit = from * 8; bit < to * 8; bit++) flips.push(bit);
    };
    everyBit(0, header.sections[0]!.offset);
    for (const p of parts.slice(3)) {
      if (p.what.startsWith('padding')) everyBit(p.from, p.to);
      else [p.from, p.to - 1].forEach((at) => everyBit(at, at + 1));
    }
    const random = seededUniform(21);
    const sectionBits = (bytes.length - header.sections[0]!.offset) * 8;
    for (let i = 0; i < 3000; i++) flips.push(header.sections[0]!.offset * 8 + Math.floor(random() * sectionBits));

    const file = bytes.slice();
    const wrong: string[] = [];
    const hit = new Map<string, number>();
    for (const bit of flips) {
      const at = bit >> 3;
      const part = parts.find((p) => at >= p.from && at < p.to)!;
      hit.set(part.what, (hit.get(part.what) ?? 0) + 1);
      file[at]! ^= 1 << (bit & 7);
      let message = 'loaded';
      try {
        loadCheckpoint(file);
      } catch (e) {
        message = e instanceof CheckpointError ? e.message : `${String(e)} (not a CheckpointError)`;
      }
      file[at]! ^= 1 << (bit & 7);
      if (!part.accepts(message)) wrong.push(`byte ${at} bit ${bit & 7} (${part.what}): ${message}`);
    }
    expect({ refusedWrongly: wrong.length, first: wrong.slice(0, 10) }).toEqual({ refusedWrongly: 0, first: [] });
    // Every part was hit, and the file is whole again.
    expect([...hit.keys()].sort()).toEqual(parts.map((p) => p.what).sort());
    expect(loadCheckpoint(file).steps).toBe(BEFORE);
    console.log(
      `[checkpoint] ${flips.length} single-bit flips over ${parts.length} parts, all refused, in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  });

  it(`refuses a header over ${MAX_HEADER_BYTES} bytes or nested over ${MAX_HEADER_DEPTH} deep, before walking it`, async () => {
    const { cache, frames, bytes } = await trained();
    const { header } = headerOf(bytes);
    const loaded = loadCheckpoint(bytes);

    // Settings 100000 objects deep, with a matching checksum: named, not a stack overflow in the
    // settings comparison a restore makes.
    const deep = withHeaderText(
      JSON.stringify({ ...header, settings: '@' }).replace('"@"', '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)),
    );
    const trainer = new FieldTrainer(cache, settings(), frames);
    expect(refusal(() => restoreCheckpoint(trainer, deep))).toBe('checkpoint header nests arrays and objects more than 32 deep');
    expect(trainer.steps).toBe(0);

    // At the limit it loads (brackets inside strings do not count); one deeper is not written.
    const meta = { deep: nested(MAX_HEADER_DEPTH - 2), note: '{[ "quoted" \\ [[[['.repeat(40) };
    expect(loadCheckpoint(encodeCheckpoint({ ...loaded, meta })).meta).toEqual(meta);
    expect(refusal(() => encodeCheckpoint({ ...loaded, meta: { deep: nested(MAX_HEADER_DEPTH - 1) } }))).toBe(
      'cannot save the checkpoint: its header nests arrays and objects more than 32 deep, so it could not be loaded (the meta is the part that can grow)',
    );

    // A header over the limit, whole and with its checksum, and a length field claiming 4 GiB.
    const big = new TextEncoder().encode(JSON.stringify({ ...header, meta: { note: 'x'.repeat(MAX_HEADER_BYTES) } }));
    expect(refusal(() => loadCheckpoint(withHeaderText(new TextDecoder().decode(big))))).toBe(
      `checkpoint header is ${big.length} bytes, over the limit of 1048576 bytes`,
    );
    const huge = bytes.slice();
    new DataView(huge.buffer).setUint32(8, 0xffffffff, true);
    expect(refusal(() => loadCheckpoint(huge))).toBe('checkpoint header is 4294967295 bytes, over the limit of 1048576 bytes');
    expect(refusal(() => encodeCheckpoint({ ...loaded, meta: { note: 'x'.repeat(MAX_HEADER_BYTES) } }))).toMatch(
      /^cannot save the checkpoint: its header is \d+ bytes, over the limit of 1048576 bytes, so it could not be loaded/,
    );
  });
});
