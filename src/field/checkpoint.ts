/**
 * The whole trained state of a FieldTrainer as one file: every parameter buffer, Adam's moments and
 * step count, the occupancy grid (densities, bits and where its round-robin update stands), the
 * trainer's step count and its settings. A trainer restored from it takes the same next steps as
 * the one that was saved.
 *
 * Layout (little-endian), version 2:
 *
 *     0   8 bytes   magic "NCDCKPT2" (the digit is the format version)
 *     8   u32       header length H in bytes, at most MAX_HEADER_BYTES
 *     12  u32       CRC-32 of the H header bytes
 *     16  H bytes   UTF-8 JSON header (CheckpointHeader): format, version, settings, step counts,
 *                   occupancy cursor, the batch's ray count, the caller's meta, and the
 *                   table of sections (each with the CRC-32 of its bytes); arrays and objects
 *                   nest at most MAX_HEADER_DEPTH deep
 *     ... zero padding to a multiple of 16
 *         sections  raw f32 / u32 arrays in table order, each at the first 16-byte-aligned
 *                   offset after the one before (zero padding between); the file ends with the
 *                   last
 *
 * Every byte is checked on load: the header and each section against their CRC-32, the padding
 * for zeros, the file's length against the last section's end. A flipped bit is refused with the
 * part it hit named, instead of resuming training from silently damaged weights.
 *
 * Version 1 (magic "NCDCKPT1", no checksums, the header at byte 12) is refused with a message
 * saying so rather than loaded unchecked: its damage could not be told from its data.
 *
 * Sections: params/<group> (the stored parameter buffers, MLP padding included, as opaque floats),
 * adam/<group>/m and adam/<group>/v, occupancy/density (f32) and occupancy/bits (u32), for the
 * groups hashGrid, densityNet, colourNet, embeddingNet. Gradients are not saved: Adam clears them
 * after every step, so between steps they are zero.
 */
import { readBuffer } from '../gpu/buffer-io.ts';
import { crc32, crc32Hex } from '../math/crc32.ts';
import type { PipelineCache } from '../gpu/pipeline-cache.ts';
import { FieldTrainer, type TrainerSettings } from './field-trainer.ts';
import type { OccupancyCursor } from './occupancy-grid.ts';
import type { TrainingFrames } from './training-frames.ts';
import {
  BITS_SECTION,
  DENSITY_SECTION,
  momentSection,
  PARAMETER_GROUPS,
  paramSection,
  setTrainerCounters,
  stateBuffers,
  trainerCounters,
  type StateBuffer,
  type TrainerCounters,
} from './trainer-state.ts';

export const CHECKPOINT_VERSION = 2;
export const CHECKPOINT_MAGIC = `NCDCKPT${CHECKPOINT_VERSION}`;
export const CHECKPOINT_FORMAT = 'NeurNCD-web checkpoint';
/** The magic of version 1, which had no checksums: named when refused. */
const VERSION_1_MAGIC = 'NCDCKPT1';
/** The pipeline's header is a few KiB; the bound stops a corrupt length or a hostile file early. */
export const MAX_HEADER_BYTES = 1 << 20;
/** The settings nest 4 deep; the bound keeps every walk over the parsed header off the stack's limit. */
export const MAX_HEADER_DEPTH = 32;

/**
 * Settings that fix a buffer's shape: a checkpoint cannot be restored into a trainer where any of
 * them differs. Every other setting (learning rate, batch size, ...) may differ on purpose.
 */
export const STRUCTURAL_SETTINGS = [
  'field.hashGrid.levels',
  'field.hashGrid.featuresPerLevel',
  'field.hashGrid.log2TableSize',
  'field.hashGrid.baseResolution',
  'field.hashGrid.finestResolution',
  'field.width',
  'field.colourHiddenLayers',
  'field.k',
  'occupancy.res',
] as const;

export type SectionType = StateBuffer['type'];

export interface CheckpointSection {
  name: string;
  /** From the start of the file; a multiple of 16. */
  offset: number;
  byteLength: number;
  type: SectionType;
  /** Elements (4 bytes each). */
  count: number;
  /** CRC-32 of the section's byteLength bytes (crc32.ts). */
  crc32: number;
}

/** Free-form, JSON-serialisable facts from the caller, e.g. { scan: 'office0', frames: 120 }. */
export type CheckpointMeta = Record<string, unknown>;

export interface CheckpointHeader {
  format: string;
  version: number;
  settings: TrainerSettings;
  /** Training steps taken (seeds the next batch). */
  steps: number;
  /** Adam's step count (its bias correction). */
  adam: { steps: number };
  occupancy: OccupancyCursor;
  /** Rays the next batch draws (the trainer's batch balancing). */
  batch: { activeRays: number };
  meta?: CheckpointMeta;
  sections: CheckpointSection[];
}

export interface Checkpoint extends TrainerCounters {
  header: CheckpointHeader;
  settings: TrainerSettings;
  meta: CheckpointMeta | undefined;
  /** Section name -> its elements (views into the loaded bytes where aligned). */
  sections: Map<string, Float32Array | Uint32Array>;
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

const MAGIC_BYTES = new TextEncoder().encode(CHECKPOINT_MAGIC);
/** Magic, header length, header CRC-32. */
const PREFIX = MAGIC_BYTES.length + 8;
const ALIGN = 16;
const alignUp = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Reads the trainer's whole state back from the GPU as a checkpoint file. Every read-back is
 * submitted before this returns its promise, so steps taken meanwhile do not leak into it.
 */
export async function saveCheckpoint(trainer: FieldTrainer, meta?: CheckpointMeta): Promise<Uint8Array> {
  const device = trainer.gpuDevice;
  const reads = stateBuffers(trainer);
  // The counters are taken now, with the copies submitted in the same synchronous stretch.
  const state = { settings: trainer.settings, ...trainerCounters(trainer) };
  const data = await Promise.all(reads.map((r) => readBuffer(device, r.buffer, r.count * 4)));
  return encodeCheckpoint({
    ...state,
    meta,
    sections: reads.map((r, i) => ({
      name: r.name,
      type: r.type,
      data: r.type === 'f32' ? new Float32Array(data[i]!) : new Uint32Array(data[i]!),
    })),
  });
}

/** The file for a state already on the CPU (a loaded checkpoint, for one). */
export function encodeCheckpoint(
  state: TrainerCounters & {
    settings: TrainerSettings;
    meta?: CheckpointMeta | undefined;
    sections: { name: string; type: SectionType; data: Float32Array | Uint32Array }[] | Map<string, Float32Array | Uint32Array>;
  },
): Uint8Array {
  if (!LITTLE_ENDIAN) throw new CheckpointError('checkpoints are little-endian; this host is big-endian');
  const sections =
    state.sections instanceof Map
      ? [...state.sections].map(([name, data]) => ({ name, type: (data instanceof Float32Array ? 'f32' : 'u32') as SectionType, data }))
      : state.sections;
  const base = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    settings: state.settings,
    steps: state.steps,
    adam: { steps: state.adamSteps },
    occupancy: { nextCell: state.occupancy.nextCell, visited: state.occupancy.visited, updates: state.occupancy.updates },
    batch: { activeRays: state.activeRays },
    ...(state.meta === undefined ? {} : { meta: state.meta }),
  };
  const checksums = sections.map(({ data }) => crc32(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
  // Offsets count from the file's start, so the header's length depends on them: iterate until the
  // data start stops moving (it only grows, so this ends in a step or two).
  let dataStart = 0;
  let text: string;
  let json: Uint8Array;
  let table: CheckpointSection[];
  for (;;) {
    let at = dataStart;
    table = sections.map(({ name, type, data }, i) => {
      const entry = { name, offset: at, byteLength: data.byteLength, type, count: data.length, crc32: checksums[i]! };
      at = alignUp(at + data.byteLength);
      return entry;
    });
    text = JSON.stringify({ ...base, sections: table } satisfies CheckpointHeader, null, 2);
    json = new TextEncoder().encode(text);
    const start = alignUp(PREFIX + json.length);
    if (start === dataStart) break;
    dataStart = start;
  }
  // A file this build would refuse to read is not written.
  const problem = headerTooLong(json.length) ?? headerTooDeep(text);
  if (problem)
    throw new CheckpointError(`cannot save the checkpoint: its ${problem}, so it could not be loaded (the meta is the part that can grow)`);
  const last = table[table.length - 1];
  const out = new Uint8Array(last ? last.offset + last.byteLength : PREFIX + json.length);
  out.set(MAGIC_BYTES, 0);
  const prefix = new DataView(out.buffer);
  prefix.setUint32(MAGIC_BYTES.length, json.length, true);
  prefix.setUint32(MAGIC_BYTES.length + 4, crc32(json), true);
  out.set(json, PREFIX);
  sections.forEach(({ data }, i) => out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), table[i]!.offset));
  return out;
}

/** Parses and checks a checkpoint file; throws a CheckpointError that names what is wrong. */
export function loadCheckpoint(file: Uint8Array | ArrayBuffer): Checkpoint {
  if (!LITTLE_ENDIAN) throw new CheckpointError('checkpoints are little-endian; this host is big-endian');
  const bytes = file instanceof Uint8Array ? file : new Uint8Array(file);
  const head = bytes.subarray(0, MAGIC_BYTES.length);
  const magic = [...head].map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
  if (magic === VERSION_1_MAGIC) {
    throw new CheckpointError(
      `checkpoint version 1 (written before checkpoints carried checksums) is no longer read: this build reads version ${CHECKPOINT_VERSION}; train again and save a new checkpoint`,
    );
  }
  if (head.length < MAGIC_BYTES.length || head.some((b, i) => b !== MAGIC_BYTES[i])) {
    throw new CheckpointError(`not a NeurNCD checkpoint: the file starts with "${magic}", not "${CHECKPOINT_MAGIC}"`);
  }
  if (bytes.length < PREFIX) throw new CheckpointError(`truncated checkpoint: ${bytes.length} bytes, too short for the header length`);
  const prefix = new DataView(bytes.buffer, bytes.byteOffset, PREFIX);
  const headerLength = prefix.getUint32(MAGIC_BYTES.length, true);
  const tooLong = headerTooLong(headerLength);
  if (tooLong) throw new CheckpointError(`checkpoint ${tooLong}`);
  if (PREFIX + headerLength > bytes.length) {
    throw new CheckpointError(
      `truncated checkpoint: the header ends at byte ${PREFIX + headerLength} but the file has ${bytes.length} bytes`,
    );
  }
  const headerBytes = bytes.subarray(PREFIX, PREFIX + headerLength);
  const headerCrc = crc32(headerBytes);
  const storedCrc = prefix.getUint32(MAGIC_BYTES.length + 4, true);
  if (headerCrc !== storedCrc) {
    throw new CheckpointError(`checkpoint header is corrupt (CRC32 ${crc32Hex(headerCrc)}, the file says ${crc32Hex(storedCrc)})`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch (e) {
    throw new CheckpointError(`checkpoint header is not UTF-8: ${e instanceof Error ? e.message : String(e)}`);
  }
  const tooDeep = headerTooDeep(text);
  if (tooDeep) throw new CheckpointError(`checkpoint ${tooDeep}`);
  let header: CheckpointHeader;
  try {
    header = JSON.parse(text) as CheckpointHeader;
  } catch (e) {
    throw new CheckpointError(`checkpoint header is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof header !== 'object' || header === null) throw new CheckpointError('checkpoint header is not a JSON object');
  if (header.format !== CHECKPOINT_FORMAT)
    throw new CheckpointError(`checkpoint header names format ${JSON.stringify(header.format)}, not "${CHECKPOINT_FORMAT}"`);
  if (header.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(
      `unsupported checkpoint version ${JSON.stringify(header.version)}: this build reads version ${CHECKPOINT_VERSION}`,
    );
  }
  if (typeof header.settings !== 'object' || header.settings === null) throw new CheckpointError('checkpoint header has no settings');
  const count = (what: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
      throw new CheckpointError(`checkpoint header: ${what} must be a non-negative integer, got ${JSON.stringify(v)}`);
    return v;
  };
  count('steps', header.steps);
  count('adam.steps', header.adam?.steps);
  for (const key of ['nextCell', 'visited', 'updates'] as const) count(`occupancy.${key}`, header.occupancy?.[key]);
  if (count('batch.activeRays', header.batch?.activeRays) < 1)
    throw new CheckpointError('checkpoint header: batch.activeRays must be at least 1');
  if (header.meta !== undefined && (typeof header.meta !== 'object' || header.meta === null))
    throw new CheckpointError('checkpoint header: meta must be an object');
  if (!Array.isArray(header.sections)) throw new CheckpointError('checkpoint header has no table of sections');

  const sections = new Map<string, Float32Array | Uint32Array>();
  // Where the last part read ends, and what it is called if the padding after it is not zero.
  let end = PREFIX + headerLength;
  let before = 'the header';
  for (const s of header.sections as unknown[] as CheckpointSection[]) {
    if (typeof s !== 'object' || s === null)
      throw new CheckpointError(`checkpoint section table holds ${JSON.stringify(s)}, not a section`);
    const name = typeof s.name === 'string' ? s.name : '(unnamed)';
    if (sections.has(name)) throw new CheckpointError(`checkpoint section ${name} appears twice`);
    if (s.type !== 'f32' && s.type !== 'u32')
      throw new CheckpointError(`checkpoint section ${name} has element type ${JSON.stringify(s.type)}; known: f32, u32`);
    const offset = count(`section ${name} offset`, s.offset);
    const elements = count(`section ${name} count`, s.count);
    if (s.byteLength !== elements * 4)
      throw new CheckpointError(`checkpoint section ${name}: ${s.byteLength} bytes for ${elements} ${s.type} elements`);
    if (offset !== alignUp(end))
      throw new CheckpointError(
        `checkpoint section ${name} starts at byte ${offset}, not at ${alignUp(end)} (the first multiple of ${ALIGN} after ${before})`,
      );
    if (offset + s.byteLength > bytes.length) {
      throw new CheckpointError(
        `truncated checkpoint: section ${name} ends at byte ${offset + s.byteLength} but the file has ${bytes.length} bytes`,
      );
    }
    requireZeros(bytes, end, offset, before);
    const data = bytes.subarray(offset, offset + s.byteLength);
    const crc = crc32(data);
    if (crc !== s.crc32) {
      throw new CheckpointError(
        `checkpoint section ${name} is corrupt (CRC32 ${crc32Hex(crc)}, the header says ${typeof s.crc32 === 'number' ? crc32Hex(s.crc32) : JSON.stringify(s.crc32)})`,
      );
    }
    sections.set(name, view(bytes, offset, elements, s.type));
    end = offset + s.byteLength;
    before = `section ${name}`;
  }
  if (bytes.length > end)
    throw new CheckpointError(`checkpoint has ${bytes.length - end} bytes after ${before}, where the file should end`);
  for (const g of PARAMETER_GROUPS) {
    for (const name of [paramSection(g), momentSection(g, 'm'), momentSection(g, 'v')]) requireFinite(sections, name, 'f32');
  }
  requireFinite(sections, DENSITY_SECTION, 'f32');
  const bits = sections.get(BITS_SECTION);
  if (!(bits instanceof Uint32Array)) throw new CheckpointError(`checkpoint has no u32 section ${BITS_SECTION}`);

  return {
    header,
    settings: header.settings,
    meta: header.meta,
    steps: header.steps,
    adamSteps: header.adam.steps,
    occupancy: { nextCell: header.occupancy.nextCell, visited: header.occupancy.visited, updates: header.occupancy.updates },
    activeRays: header.batch.activeRays,
    sections,
  };
}

/** The padding between parts holds nothing: a set bit there is damage too. */
function requireZeros(bytes: Uint8Array, from: number, to: number, after: string): void {
  for (let i = from; i < to; i++) {
    if (bytes[i] !== 0) throw new CheckpointError(`checkpoint padding after ${after} is not zero at byte ${i}: the file is corrupt`);
  }
}

const headerTooLong = (length: number): string | null =>
  length > MAX_HEADER_BYTES ? `header is ${length} bytes, over the limit of ${MAX_HEADER_BYTES} bytes` : null;

/**
 * Whether the header's arrays and objects nest too deep for the walks over the parsed header
 * (compareSettings' flatten, structuredClone) to stay off the stack's limit. Counted on the text,
 * so without recursion.
 */
function headerTooDeep(json: string): string | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (++depth > MAX_HEADER_DEPTH) return `header nests arrays and objects more than ${MAX_HEADER_DEPTH} deep`;
    } else if (c === '}' || c === ']') depth--;
  }
  return null;
}

function view(bytes: Uint8Array, offset: number, count: number, type: SectionType): Float32Array | Uint32Array {
  const at = bytes.byteOffset + offset;
  // An unaligned view is not allowed: copy the section out then.
  const [buffer, start] = at % 4 === 0 ? [bytes.buffer, at] : [bytes.slice(offset, offset + count * 4).buffer, 0];
  return type === 'f32' ? new Float32Array(buffer, start, count) : new Uint32Array(buffer, start, count);
}

/** A diverged state (NaN or infinity anywhere) is refused rather than resumed. */
function requireFinite(sections: Map<string, Float32Array | Uint32Array>, name: string, type: SectionType): void {
  const data = sections.get(name);
  if (!(data instanceof Float32Array)) throw new CheckpointError(`checkpoint has no ${type} section ${name}`);
  const words = new Uint32Array(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < words.length; i++) {
    if ((words[i]! & 0x7f800000) === 0x7f800000) {
      const what = words[i]! & 0x007fffff ? 'NaN' : 'an infinity';
      throw new CheckpointError(
        `checkpoint section ${name} holds ${what} at element ${i}: the saved training had diverged; refusing to load it`,
      );
    }
  }
}

/** Leaf values of a settings object by dotted path. Recursive: loaded settings nest at most MAX_HEADER_DEPTH deep. */
function flatten(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, value);
  }
  return out;
}

/**
 * Differences between a checkpoint's settings and a trainer's, as "path: checkpoint value, trainer
 * value" lines; throws if a structural one (a buffer's shape) differs.
 */
export function compareSettings(saved: TrainerSettings, current: TrainerSettings): string[] {
  const a = flatten(saved);
  const b = flatten(current);
  const structural: string[] = [];
  const other: string[] = [];
  for (const path of new Set([...a.keys(), ...b.keys()])) {
    const x = JSON.stringify(a.get(path)) ?? 'missing';
    const y = JSON.stringify(b.get(path)) ?? 'missing';
    if (x === y) continue;
    const line = `${path} is ${x} in the checkpoint but ${y} in the trainer`;
    ((STRUCTURAL_SETTINGS as readonly string[]).includes(path) ? structural : other).push(line);
  }
  if (structural.length) throw new CheckpointError(`checkpoint does not fit this trainer: ${structural.join('; ')}`);
  return other;
}

/**
 * Writes a checkpoint's state into `trainer` (its buffers, Adam's and the grid's counters and the
 * step count). The structural settings must match (else CheckpointError); the others may differ,
 * and are returned as lines for the caller to show. The trainer's own settings stay in force.
 */
export function restoreCheckpoint(trainer: FieldTrainer, checkpoint: Checkpoint | Uint8Array | ArrayBuffer): { differences: string[] } {
  const c = checkpoint instanceof Uint8Array || checkpoint instanceof ArrayBuffer ? loadCheckpoint(checkpoint) : checkpoint;
  const differences = compareSettings(c.settings, trainer.settings);
  const device = trainer.gpuDevice;
  const writes = stateBuffers(trainer);
  // Check everything before writing anything: a refused checkpoint leaves the trainer as it was.
  for (const w of writes) {
    const data = c.sections.get(w.name);
    if (!data) throw new CheckpointError(`checkpoint has no section ${w.name}`);
    if (data.length !== w.count)
      throw new CheckpointError(`checkpoint section ${w.name} holds ${data.length} elements but this trainer's buffer holds ${w.count}`);
  }
  if (c.activeRays > trainer.settings.sampler.rays) {
    throw new CheckpointError(
      `checkpoint batch.activeRays ${c.activeRays} is more than this trainer's ${trainer.settings.sampler.rays} rays`,
    );
  }
  if (c.occupancy.nextCell >= trainer.occupancy.cells) {
    throw new CheckpointError(`checkpoint occupancy.nextCell ${c.occupancy.nextCell} is past the grid's ${trainer.occupancy.cells} cells`);
  }
  for (const w of writes) {
    const data = c.sections.get(w.name)!;
    device.queue.writeBuffer(w.buffer, 0, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
  }
  setTrainerCounters(trainer, c);
  return { differences };
}

/** A new trainer with the checkpoint's settings and state, training on `frames`. */
export function trainerFromCheckpoint(
  cache: PipelineCache,
  checkpoint: Checkpoint | Uint8Array | ArrayBuffer,
  frames: TrainingFrames,
): FieldTrainer {
  const c = checkpoint instanceof Uint8Array || checkpoint instanceof ArrayBuffer ? loadCheckpoint(checkpoint) : checkpoint;
  const trainer = new FieldTrainer(cache, structuredClone(c.settings), frames);
  restoreCheckpoint(trainer, c);
  return trainer;
}
