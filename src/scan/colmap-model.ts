/**
 * Reads a COLMAP sparse model, text or binary (the layout of COLMAP's own read_write_model):
 * cameras (model, size, parameters), images (world-to-camera pose, camera, file name) and the 3D
 * points' positions with the images that observe them (their tracks). What the loader does not use
 * (the images' 2D points, point colours and errors) is skipped. Every problem is a ScanError
 * naming the file, with the line for text.
 */
import { ScanError } from './scan-error.ts';

export interface ColmapCamera {
  id: number;
  /** COLMAP's model name, one of SUPPORTED_CAMERA_MODELS. */
  model: string;
  width: number;
  height: number;
  params: number[];
  /** Where the camera is described, for messages: "line 4: camera 1" or "camera 1". */
  where: string;
}

export interface ColmapImage {
  id: number;
  /** World-to-camera rotation as a quaternion w, x, y, z. */
  q: [number, number, number, number];
  /** World-to-camera translation. */
  t: [number, number, number];
  cameraId: number;
  /** Relative to the image folder. */
  name: string;
  /** Where the image is described, for messages: "line 5" or "image 3". */
  where: string;
}

/** The 3D points of a model and, per point, the images that observe it (its track). */
export interface ColmapPoints {
  /** x, y, z per point. */
  xyz: Float64Array;
  /** Point p is observed by the images trackImages[trackStart[p] .. trackStart[p + 1]) (image ids). */
  trackStart: Uint32Array;
  trackImages: Int32Array;
}

/** Points from their positions and tracks, listed point by point. */
function pointsOf(xyz: Float64Array, tracks: number[][]): ColmapPoints {
  const trackStart = new Uint32Array(tracks.length + 1);
  tracks.forEach((t, p) => (trackStart[p + 1] = trackStart[p]! + t.length));
  const trackImages = new Int32Array(trackStart[tracks.length]!);
  tracks.forEach((t, p) => trackImages.set(t, trackStart[p]!));
  return { xyz, trackStart, trackImages };
}

/** COLMAP's camera model ids, names and parameter counts that a pinhole with a lens model covers. */
export const SUPPORTED_CAMERA_MODELS: readonly { id: number; name: string; params: number }[] = [
  { id: 0, name: 'SIMPLE_PINHOLE', params: 3 },
  { id: 1, name: 'PINHOLE', params: 4 },
  { id: 2, name: 'SIMPLE_RADIAL', params: 4 },
  { id: 3, name: 'RADIAL', params: 5 },
  { id: 4, name: 'OPENCV', params: 8 },
  { id: 5, name: 'OPENCV_FISHEYE', params: 8 },
  { id: 6, name: 'FULL_OPENCV', params: 12 },
];

/** The other models COLMAP knows, by id, to name them in the message. */
const OTHER_CAMERA_MODELS = ['FOV', 'SIMPLE_RADIAL_FISHEYE', 'RADIAL_FISHEYE', 'THIN_PRISM_FISHEYE', 'RAD_TAN_THIN_PRISM_FISHEYE'];

function unsupportedModel(file: string, where: string, model: string): ScanError {
  return new ScanError(
    file,
    `${where}: camera model ${model} is not supported (supported: ${SUPPORTED_CAMERA_MODELS.map((m) => m.name).join(', ')}); ` +
      'undistort the images with COLMAP (colmap image_undistorter) and load its output',
  );
}

// ---- text ----

/** The lines of a COLMAP text file with their numbers, without comments. */
function textLines(text: string): { number: number; text: string }[] {
  return text
    .split('\n')
    .map((line, i) => ({ number: i + 1, text: line.trim() }))
    .filter((l) => !l.text.startsWith('#'));
}

function numberAt(words: string[], index: number, file: string, line: number, what: string, integer = false): number {
  const word = words[index];
  if (word === undefined) throw new ScanError(file, `line ${line}: ends before its ${what}`);
  const v = Number(word);
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new ScanError(file, `line ${line}: ${what} '${word.slice(0, 20)}' is not ${integer ? 'an integer' : 'a number'}`);
  }
  return v;
}

/** cameras.txt: CAMERA_ID MODEL WIDTH HEIGHT PARAMS[] per line. */
export function parseCamerasText(text: string, file: string): ColmapCamera[] {
  return textLines(text)
    .filter((l) => l.text)
    .map(({ number: line, text: row }) => {
      const words = row.split(/\s+/);
      const id = numberAt(words, 0, file, line, 'camera id', true);
      const model = words[1] ?? '';
      const known = SUPPORTED_CAMERA_MODELS.find((m) => m.name === model);
      if (!known) throw unsupportedModel(file, `line ${line}`, model || '(none)');
      const width = numberAt(words, 2, file, line, 'width', true);
      const height = numberAt(words, 3, file, line, 'height', true);
      if (words.length - 4 !== known.params) {
        throw new ScanError(file, `line ${line}: camera ${id} (${model}) has ${words.length - 4} parameters, ${model} has ${known.params}`);
      }
      const params = words.slice(4).map((_, i) => numberAt(words, 4 + i, file, line, `parameter ${i + 1}`));
      return { id, model, width, height, params, where: `line ${line}: camera ${id}` };
    });
}

/**
 * images.txt: two lines per image, IMAGE_ID QW QX QY QZ TX TY TZ CAMERA_ID NAME and then its 2D
 * points (which may be an empty line).
 */
export function parseImagesText(text: string, file: string): ColmapImage[] {
  const lines = textLines(text);
  const images: ColmapImage[] = [];
  for (let i = 0; i < lines.length; i++) {
    const { number: line, text: row } = lines[i]!;
    if (!row) continue;
    const words = row.split(/\s+/);
    if (words.length < 10) {
      throw new ScanError(
        file,
        `line ${line}: has ${words.length} fields, an image needs 10 (IMAGE_ID QW QX QY QZ TX TY TZ CAMERA_ID NAME)`,
      );
    }
    const n = (index: number, what: string, integer = false): number => numberAt(words, index, file, line, what, integer);
    images.push({
      id: n(0, 'image id', true),
      q: [n(1, 'qw'), n(2, 'qx'), n(3, 'qy'), n(4, 'qz')],
      t: [n(5, 'tx'), n(6, 'ty'), n(7, 'tz')],
      cameraId: n(8, 'camera id', true),
      // A name with spaces is the rest of the line.
      name: words.slice(9).join(' '),
      where: `line ${line}`,
    });
    i++; // the image's 2D points
  }
  return images;
}

/** points3D.txt: POINT3D_ID X Y Z R G B ERROR TRACK[] per line, TRACK[] as IMAGE_ID POINT2D_IDX pairs. */
export function parsePointsText(text: string, file: string): ColmapPoints {
  const rows = textLines(text).filter((l) => l.text);
  const xyz = new Float64Array(rows.length * 3);
  const tracks = rows.map(({ number: line, text: row }, p) => {
    const words = row.split(/\s+/);
    if (words.length < 8)
      throw new ScanError(file, `line ${line}: has ${words.length} fields, a point needs at least 8 (POINT3D_ID X Y Z R G B ERROR)`);
    for (let a = 0; a < 3; a++) xyz[p * 3 + a] = numberAt(words, 1 + a, file, line, 'xyz'[a]!);
    if ((words.length - 8) % 2) throw new ScanError(file, `line ${line}: its track has an image id without a point index`);
    return Array.from({ length: (words.length - 8) / 2 }, (_, e) => numberAt(words, 8 + 2 * e, file, line, 'track image id', true));
  });
  return pointsOf(xyz, tracks);
}

// ---- binary ----

/** Little-endian reading that says where a file ended early. */
class BinaryReader {
  private offset = 0;
  private readonly view: DataView;
  /** What is being read, for messages: "camera 2 of 3" (kept apart: made into text only for a message). */
  private kind = '';
  private index = 0;
  private total = 0;

  constructor(
    private readonly bytes: Uint8Array,
    readonly file: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  at(kind: string, index: number, total: number): void {
    this.kind = kind;
    this.index = index;
    this.total = total;
  }

  private get item(): string {
    return this.kind ? `${this.kind} ${this.index + 1} of ${this.total}` : 'the count';
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  private take(n: number): number {
    if (this.offset + n > this.bytes.length) {
      throw new ScanError(this.file, `is truncated: it ends at byte ${this.bytes.length} inside ${this.item}`);
    }
    const at = this.offset;
    this.offset += n;
    return at;
  }

  int32(): number {
    return this.view.getInt32(this.take(4), true);
  }

  uint64(): number {
    const v = this.view.getBigUint64(this.take(8), true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ScanError(this.file, `holds an impossible count or size (${v}) in ${this.item}`);
    return Number(v);
  }

  float64(): number {
    return this.view.getFloat64(this.take(8), true);
  }

  skip(n: number): void {
    this.take(n);
  }

  /** A null-terminated UTF-8 string. */
  string(): string {
    const end = this.bytes.indexOf(0, this.offset);
    if (end < 0) throw new ScanError(this.file, `is truncated: it ends at byte ${this.bytes.length} inside ${this.item}'s name`);
    const s = new TextDecoder().decode(this.bytes.subarray(this.offset, end));
    this.offset = end + 1;
    return s;
  }

  /** The leading count, checked against the bytes there are (each record takes at least `minBytes`). */
  count(what: string, minBytes: number): number {
    const n = this.uint64();
    if (n * minBytes > this.remaining) {
      throw new ScanError(
        this.file,
        `says it holds ${n} ${what}, but its ${this.bytes.length} bytes hold at most ${Math.floor(this.remaining / minBytes)}`,
      );
    }
    return n;
  }

  /**
   * The file's records: the leading count, then `read` for each (which must take at least
   * `minBytes`), then nothing left over.
   */
  records<T>(kind: string, minBytes: number, read: () => T): T[] {
    const n = this.count(`${kind}s`, minBytes);
    const out: T[] = [];
    for (let i = 0; i < n; i++) {
      this.at(kind, i, n);
      out.push(read());
    }
    this.end(n, kind);
    return out;
  }

  /** After the last record: bytes left over mean the count or the file is wrong. */
  end(n: number, what: string): void {
    if (this.remaining > 0) {
      throw new ScanError(
        this.file,
        `has ${this.remaining} bytes after its last ${what} (it says it holds ${n}): the count or the file is wrong`,
      );
    }
  }
}

/** cameras.bin: uint64 count; per camera int32 id, int32 model id, uint64 width, height, float64 params. */
export function parseCamerasBinary(bytes: Uint8Array, file: string): ColmapCamera[] {
  const r = new BinaryReader(bytes, file);
  return r.records('camera', 24, () => {
    const id = r.int32();
    const modelId = r.int32();
    const known = SUPPORTED_CAMERA_MODELS.find((m) => m.id === modelId);
    if (!known) throw unsupportedModel(file, `camera ${id}`, OTHER_CAMERA_MODELS[modelId - 7] ?? `with id ${modelId}`);
    const width = r.uint64();
    const height = r.uint64();
    const params = Array.from({ length: known.params }, () => r.float64());
    // As in the text model, where such a word is not a number.
    const bad = params.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new ScanError(file, `camera ${id}: parameter ${bad + 1} is ${params[bad]}, not a finite number`);
    return { id, model: known.name, width, height, params, where: `camera ${id}` };
  });
}

/**
 * images.bin: uint64 count; per image int32 id, float64 qw qx qy qz tx ty tz, int32 camera id,
 * the name null-terminated, uint64 number of 2D points and per point float64 x y, int64 point id.
 */
export function parseImagesBinary(bytes: Uint8Array, file: string): ColmapImage[] {
  const r = new BinaryReader(bytes, file);
  return r.records('image', 73, () => {
    const id = r.int32();
    const q: ColmapImage['q'] = [r.float64(), r.float64(), r.float64(), r.float64()];
    const t: ColmapImage['t'] = [r.float64(), r.float64(), r.float64()];
    const cameraId = r.int32();
    const name = r.string();
    r.skip(r.uint64() * 24);
    return { id, q, t, cameraId, name, where: `image ${id}` };
  });
}

/**
 * points3D.bin: uint64 count; per point uint64 id, float64 xyz, uint8 rgb, float64 error, uint64
 * track length and per track element int32 image id, int32 point index.
 */
export function parsePointsBinary(bytes: Uint8Array, file: string): ColmapPoints {
  const r = new BinaryReader(bytes, file);
  const n = r.count('points', 51);
  const xyz = new Float64Array(n * 3);
  const tracks: number[][] = [];
  for (let p = 0; p < n; p++) {
    r.at('point', p, n);
    r.skip(8);
    for (let a = 0; a < 3; a++) xyz[p * 3 + a] = r.float64();
    if (!Number.isFinite(xyz[p * 3]! + xyz[p * 3 + 1]! + xyz[p * 3 + 2]!))
      throw new ScanError(file, `point ${p + 1} of ${n} has a position that is not finite`);
    r.skip(3 + 8);
    const track: number[] = [];
    for (let e = r.uint64(); e > 0; e--) {
      track.push(r.int32());
      r.skip(4);
    }
    tracks.push(track);
  }
  r.end(n, 'point');
  return pointsOf(xyz, tracks);
}
