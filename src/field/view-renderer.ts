/**
 * Renders a whole view of the trained field at any camera (shaders/view-rays.wgsl around the field
 * and the volume renderer), a tile of pixels at a time so that the page stays responsive while it
 * trains. A tile is two short submissions, each followed by a small read-back: the tile's sample
 * total (which sizes the field's work), then its pixels. Per pixel: RGB on the background,
 * expected z-depth, opacity, class probabilities (softmax of the composited logits), entropy.
 */
import dispatch from '../../shaders/dispatch.wgsl?raw';
import march from '../../shaders/ray-march.wgsl?raw';
import kernels from '../../shaders/view-rays.wgsl?raw';
import { createStorageBuffer, createUniformBuffer } from '../gpu/buffer-io.ts';
import { ComputeKernel } from '../gpu/compute-kernel.ts';
import { ComputePasses } from '../gpu/compute-passes.ts';
import type { PipelineCache } from '../gpu/pipeline-cache.ts';
import { PrefixSum } from '../gpu/prefix-sum.ts';
import { WgslStruct } from '../gpu/uniform-layout.ts';
import { composeWgsl } from '../gpu/wgsl-compose.ts';
import type { EmbeddingField, FieldBatch } from './embedding-field.ts';
import type { TrainerSettings } from './field-trainer.ts';
import { CAMERA, cameraRecord } from './training-frames.ts';
import { DEFAULT_RENDER_LOSS, renderedStride, VolumeRenderer } from './volume-renderer.ts';

/** A pinhole camera in the training cameras' convention (a `ScanFrame` is one). */
export interface ViewCamera {
  /** Camera-to-world, row-major 3x4 or 4x4, OpenCV axes (x right, y down, z forward), normalised scene. */
  c2w: ArrayLike<number>;
  /** In pixels, continuous coordinates (pixel centres at +0.5). */
  intrinsics: { fx: number; fy: number; cx: number; cy: number };
  width: number;
  height: number;
}

/** `camera` with its image resized to `width` x `height` (same pose and field of view). */
export function resizedCamera<M extends ArrayLike<number>>(
  camera: { c2w: M; intrinsics: ViewCamera['intrinsics']; width: number; height: number },
  width: number,
  height: number,
): { c2w: M; intrinsics: ViewCamera['intrinsics']; width: number; height: number } {
  const sx = width / camera.width;
  const sy = height / camera.height;
  const k = camera.intrinsics;
  return { c2w: camera.c2w, width, height, intrinsics: { fx: k.fx * sx, fy: k.fy * sy, cx: k.cx * sx, cy: k.cy * sy } };
}

export interface ViewSettings {
  /** Rays per tile; one tile is one short GPU submission. */
  tileRays: number;
  /** Samples per pass of the field (a multiple of 16); only as many passes run as a tile has samples. */
  chunk: number;
  /** The training sampler's: the march is the same. */
  maxSamplesPerRay: number;
  step: number;
  /** sRGB 0..1, what transparent pixels show. */
  background: [number, number, number];
  /** Transmittance below which compositing stops. */
  earlyStop: number;
}

/**
 * The view settings that march as `trainer` trains (step, samples per ray, background), with tiles
 * of at most `tileRays` rays, fewer where a tile's sample buffers would not fit one binding.
 */
export function viewSettingsFor(
  trainer: Pick<TrainerSettings, 'sampler' | 'render' | 'field'>,
  device: GPUDevice,
  tileRays = 4096,
  chunk = 16384,
): ViewSettings {
  const { maxSamplesPerRay, step } = trainer.sampler;
  const perSample = Math.max(trainer.field.k, 4) * 4;
  let rays = tileRays;
  while (rays > 64 && tileCapacity(rays, maxSamplesPerRay, chunk) * perSample > device.limits.maxStorageBufferBindingSize) rays /= 2;
  return {
    tileRays: Math.floor(rays),
    chunk,
    maxSamplesPerRay,
    step,
    background: trainer.render.background,
    earlyStop: trainer.render.earlyStop,
  };
}

/** Sample slots of a tile: room for every ray's maximum, so that no ray is ever cut. */
const tileCapacity = (rays: number, maxSamplesPerRay: number, chunk: number): number =>
  Math.ceil((rays * maxSamplesPerRay) / chunk) * chunk;

/** One tile's pixels: `pixels` records from pixel `firstPixel` (row-major), `pixelStride(k)` floats each. */
export interface RenderedTile {
  index: number;
  firstPixel: number;
  pixels: number;
  /** Per pixel: [r, g, b, depth, opacity, entropy, entropy / log K, probabilities(K)]. */
  data: Float32Array;
}

export interface RenderedView {
  width: number;
  height: number;
  /** Classes (embedding channels). */
  k: number;
  /** sRGB 0..1, composited on the background; 3 per pixel, row-major. */
  rgb: Float32Array;
  /**
   * Expected z-depth (along the optical axis, as scan depth maps hold it) in normalised scene
   * units: sum of w_i t_i, not divided by the opacity (as the training loss sees it), so it falls
   * towards 0 where the opacity does. `depthInSceneUnits` converts.
   */
  depth: Float32Array;
  opacity: Float32Array;
  /** Softmax of the composited logits, K per pixel. */
  probs: Float32Array;
  /** -sum p log p, in nats: 0 (certain) .. log K (uniform). */
  entropy: Float32Array;
  /** entropy / log K: 0 .. 1 (0 when K = 1). */
  entropyNormalised: Float32Array;
}

export interface RenderViewOptions {
  /** After each tile, with the view filled so far (for progressive display). */
  onTile?: (tile: RenderedTile, view: RenderedView) => void;
  /** Stops between tiles (throws the signal's reason). */
  signal?: AbortSignal;
}

/** Listed pixels' records, in the list's order. */
export interface RenderedPixels {
  count: number;
  k: number;
  /** Per pixel: [r, g, b, depth, opacity, entropy, entropy / log K, probabilities(K)] (pixelStride(k) floats). */
  records: Float32Array;
}

/** What one tile renders: `count` pixels from `first` of the view, or the `list`ed pixels. */
interface TileSpec {
  index: number;
  first: number;
  count: number;
  list: Uint32Array | null;
}

/** Where each value sits in a pixel record (finish_pixels in view-rays.wgsl writes them); the K probabilities start at `probs`. */
export const PIXEL_RECORD = { rgb: 0, depth: 3, opacity: 4, entropy: 5, entropyNormalised: 6, probs: 7 } as const;

/** Floats per pixel of a tile record. */
export const pixelStride = (k: number): number => PIXEL_RECORD.probs + k;

/** Depth of the normalised scene in the scan's own units (metres for the formats with depth): p_normalised = (p - offset) * scale. */
export function depthInSceneUnits(depth: Float32Array, normalisation: { scale: number }): Float32Array {
  return depth.map((d) => d / normalisation.scale);
}

const shader = composeWgsl('view-rays', { 'dispatch.wgsl': dispatch, 'ray-march.wgsl': march, 'view-rays.wgsl': kernels });
const WORKGROUP = 64;

/** The tile's uniforms (shaders/view-rays.wgsl says what each means). */
export const VIEW_PARAMS = new WgslStruct('view-rays.wgsl', 'Params', {
  rays: 'u32',
  first_pixel: 'u32',
  pixels: 'u32',
  max_samples: 'u32',
  grid_res: 'u32',
  step: 'f32',
  k: 'u32',
  total: 'u32',
  listed: 'u32',
});
/** Which of the tile's samples one pass of the field takes. */
export const VIEW_CHUNK = new WgslStruct('view-rays.wgsl', 'Chunk', { base: 'u32', count: 'u32' });

/** Throws a RangeError naming what is wrong with `camera`. */
export function checkViewCamera(camera: ViewCamera): void {
  const fail = (why: string): never => {
    throw new RangeError(`view camera: ${why}`);
  };
  if (typeof camera !== 'object' || camera === null) fail('not a camera record');
  const { width, height, c2w, intrinsics: k } = camera;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    fail(`width and height must be positive integers, got ${width} x ${height}`);
  if (width * height > 2 ** 31) fail(`${width} x ${height} pixels is too many`);
  if (!c2w || (c2w.length !== 12 && c2w.length !== 16))
    fail(`c2w must be a row-major 3x4 or 4x4 matrix (12 or 16 numbers), got ${c2w?.length ?? 'none'}`);
  for (let i = 0; i < 12; i++) if (!Number.isFinite(c2w[i])) fail(`c2w[${i}] is ${c2w[i]}, not a finite number`);
  const m = (r: number, c: number): number => c2w[r * 4 + c]!;
  const det =
    m(0, 0) * (m(1, 1) * m(2, 2) - m(1, 2) * m(2, 1)) -
    m(0, 1) * (m(1, 0) * m(2, 2) - m(1, 2) * m(2, 0)) +
    m(0, 2) * (m(1, 0) * m(2, 1) - m(1, 1) * m(2, 0));
  if (!(Math.abs(det) > 1e-9)) fail('the rotation part of c2w is singular');
  if (!k || typeof k !== 'object') fail('intrinsics (fx, fy, cx, cy) are missing');
  for (const name of ['fx', 'fy', 'cx', 'cy'] as const)
    if (!Number.isFinite(k[name])) fail(`intrinsics.${name} is ${k[name]}, not a finite number`);
  if (!(k.fx > 0 && k.fy > 0)) fail(`focal lengths must be positive, got fx ${k.fx}, fy ${k.fy}`);
}

function checkSettings(s: ViewSettings): void {
  const positiveInt = (v: number): boolean => Number.isInteger(v) && v >= 1;
  if (!positiveInt(s.tileRays)) throw new RangeError(`view renderer: tileRays must be a positive integer, got ${s.tileRays}`);
  if (!positiveInt(s.chunk) || s.chunk % 16 !== 0)
    throw new RangeError(`view renderer: chunk must be a positive multiple of 16 (the networks' sample tile), got ${s.chunk}`);
  if (!positiveInt(s.maxSamplesPerRay))
    throw new RangeError(`view renderer: maxSamplesPerRay must be a positive integer, got ${s.maxSamplesPerRay}`);
  if (!(s.step > 0)) throw new RangeError(`view renderer: step must be positive, got ${s.step}`);
}

export class ViewRenderer {
  /** Sample slots of a tile: enough for every ray's maximum, so no ray is ever cut. */
  readonly capacity: number;
  private readonly device: GPUDevice;
  private readonly k: number;
  private readonly kernels: Record<'rays' | 'write' | 'inputs' | 'finish', ComputeKernel>;
  private readonly scan: PrefixSum;
  private readonly renderer: VolumeRenderer;
  private readonly renderParams: GPUBuffer;
  private readonly batch: FieldBatch;
  private readonly buffers: Record<
    | 'params'
    | 'camera'
    | 'pixelList'
    | 'count'
    | 'first'
    | 'range'
    | 'geom'
    | 'sampleRay'
    | 'raw'
    | 'logits'
    | 'rendered'
    | 'pixels'
    | 'positions'
    | 'colourInput'
    | 'totalRead'
    | 'pixelRead',
    GPUBuffer
  >;
  private readonly chunkParams: GPUBuffer[];
  private readonly groups: Record<'rays' | 'write' | 'finish', GPUBindGroup> & { inputs: GPUBindGroup[] };
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    cache: PipelineCache,
    private readonly field: EmbeddingField,
    occupancy: GPUBuffer,
    private readonly gridRes: number,
    readonly settings: ViewSettings,
  ) {
    checkSettings(settings);
    const d = (this.device = cache.device);
    const k = (this.k = field.config.k);
    const { tileRays, chunk } = settings;
    this.capacity = tileCapacity(tileRays, settings.maxSamplesPerRay, chunk);
    const largest = this.capacity * Math.max(k, 4) * 4;
    if (largest > d.limits.maxStorageBufferBindingSize) {
      throw new RangeError(
        `view renderer: ${tileRays} rays x ${settings.maxSamplesPerRay} samples need ${largest} bytes in one buffer, over the adapter's ${d.limits.maxStorageBufferBindingSize}; use smaller tiles`,
      );
    }
    const storage = (bytes: number, label: string): GPUBuffer => createStorageBuffer(d, bytes, `view ${label}`);
    const reading = (bytes: number, label: string): GPUBuffer =>
      d.createBuffer({ label: `view ${label} (read-back)`, size: bytes, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
    const b = (this.buffers = {
      params: createUniformBuffer(d, new ArrayBuffer(VIEW_PARAMS.size), 'view params'),
      camera: createUniformBuffer(d, new ArrayBuffer(CAMERA.size), 'view camera'),
      pixelList: storage(tileRays * 4, 'pixel list'),
      count: storage(tileRays * 4, 'samples per ray'),
      first: storage(tileRays * 4, 'first sample per ray'),
      range: storage(tileRays * 8, 'sample ranges'),
      geom: storage(this.capacity * 8, 'sample t, dt'),
      sampleRay: storage(this.capacity * 4, 'sample rays'),
      raw: storage(this.capacity * 16, 'raw density and colour'),
      logits: storage(this.capacity * k * 4, 'logits'),
      rendered: storage(tileRays * renderedStride(k) * 4, 'rendered rays'),
      pixels: storage(tileRays * pixelStride(k) * 4, 'pixel records'),
      positions: storage(chunk * 12, 'chunk positions'),
      colourInput: storage(chunk * 32 * 4, 'chunk colour input'),
      totalRead: reading(8, 'tile total'),
      pixelRead: reading(tileRays * pixelStride(k) * 4, 'pixel records'),
    });
    this.chunkParams = Array.from({ length: this.capacity / chunk }, (_, c) =>
      createUniformBuffer(d, VIEW_CHUNK.pack({ base: c * chunk, count: chunk }), `view chunk ${c} params`),
    );
    this.batch = field.createBatch(chunk, { backward: false });
    this.renderer = new VolumeRenderer(cache);
    this.renderParams = this.renderer.paramsFor(tileRays, k, this.capacity, {
      ...DEFAULT_RENDER_LOSS,
      background: settings.background,
      earlyStop: settings.earlyStop,
    });
    this.scan = new PrefixSum(cache, tileRays);
    const kernel = (entry: string): ComputeKernel => new ComputeKernel(cache, 'view-rays', shader, entry);
    this.kernels = {
      rays: kernel('view_rays'),
      write: kernel('write_samples'),
      inputs: kernel('chunk_inputs'),
      finish: kernel('finish_pixels'),
    };
    const kk = this.kernels;
    this.groups = {
      rays: kk.rays.bind({ params: b.params, camera: b.camera, occupancy, sample_count: b.count, pixel_list: b.pixelList }),
      write: kk.write.bind({
        params: b.params,
        camera: b.camera,
        occupancy,
        sample_count: b.count,
        first_sample: b.first,
        sample_range: b.range,
        sample_geom: b.geom,
        sample_ray: b.sampleRay,
        pixel_list: b.pixelList,
      }),
      inputs: this.chunkParams.map((p) =>
        kk.inputs.bind({
          params: b.params,
          camera: b.camera,
          sample_geom: b.geom,
          sample_ray: b.sampleRay,
          chunk: p,
          positions: b.positions,
          colour_input: b.colourInput,
          pixel_list: b.pixelList,
        }),
      ),
      finish: kk.finish.bind({ params: b.params, camera: b.camera, rendered: b.rendered, pixel_out: b.pixels, pixel_list: b.pixelList }),
    };
  }

  tileCount(camera: ViewCamera): number {
    checkViewCamera(camera);
    return Math.ceil((camera.width * camera.height) / this.settings.tileRays);
  }

  /** Renders tile `tileIndex` (pixels tileIndex x tileRays onwards, row-major). Calls queue up: one tile runs at a time. */
  renderTile(camera: ViewCamera, tileIndex: number): Promise<RenderedTile> {
    const tiles = this.tileCount(camera);
    if (!Number.isInteger(tileIndex) || tileIndex < 0 || tileIndex >= tiles)
      throw new RangeError(`view renderer: tile ${tileIndex} is not one of the view's ${tiles} tiles`);
    const first = tileIndex * this.settings.tileRays;
    return this.enqueue(() =>
      this.runTile(camera, {
        index: tileIndex,
        first,
        count: Math.min(this.settings.tileRays, camera.width * camera.height - first),
        list: null,
      }),
    );
  }

  /**
   * Renders the listed pixels (row-major indices) of a view, in tiles: the records come back in
   * the list's order. Cheaper than a whole view when only some pixels matter (discovery reads a
   * few per segment).
   */
  async renderPixels(camera: ViewCamera, pixels: Uint32Array): Promise<RenderedPixels> {
    checkViewCamera(camera);
    const n = camera.width * camera.height;
    for (const p of pixels)
      if (p >= n) throw new RangeError(`view renderer: pixel ${p} is outside the ${camera.width} x ${camera.height} view`);
    const k = this.k;
    const stride = pixelStride(k);
    const out: RenderedPixels = { count: pixels.length, k, records: new Float32Array(pixels.length * stride) };
    const tileRays = this.settings.tileRays;
    for (let first = 0, index = 0; first < pixels.length; first += tileRays, index++) {
      const list = pixels.subarray(first, Math.min(first + tileRays, pixels.length));
      const tile = await this.enqueue(() => this.runTile(camera, { index, first: 0, count: list.length, list }));
      out.records.set(tile.data, first * stride);
    }
    return out;
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Renders every tile in turn, returning to the event loop between them (each tile's read-back). */
  async renderView(camera: ViewCamera, options: RenderViewOptions = {}): Promise<RenderedView> {
    const tiles = this.tileCount(camera);
    const { width, height } = camera;
    const n = width * height;
    const k = this.k;
    const view: RenderedView = {
      width,
      height,
      k,
      rgb: new Float32Array(n * 3),
      depth: new Float32Array(n),
      opacity: new Float32Array(n),
      probs: new Float32Array(n * k),
      entropy: new Float32Array(n),
      entropyNormalised: new Float32Array(n),
    };
    const stride = pixelStride(k);
    for (let t = 0; t < tiles; t++) {
      options.signal?.throwIfAborted();
      const tile = await this.renderTile(camera, t);
      for (let i = 0; i < tile.pixels; i++) {
        const p = tile.firstPixel + i;
        const rec = tile.data.subarray(i * stride, (i + 1) * stride);
        view.rgb.set(rec.subarray(PIXEL_RECORD.rgb, PIXEL_RECORD.rgb + 3), p * 3);
        view.depth[p] = rec[PIXEL_RECORD.depth]!;
        view.opacity[p] = rec[PIXEL_RECORD.opacity]!;
        view.entropy[p] = rec[PIXEL_RECORD.entropy]!;
        view.entropyNormalised[p] = rec[PIXEL_RECORD.entropyNormalised]!;
        view.probs.set(rec.subarray(PIXEL_RECORD.probs), p * k);
      }
      options.onTile?.(tile, view);
    }
    return view;
  }

  private writeParams(camera: ViewCamera, tile: TileSpec, total: number): void {
    const s = this.settings;
    const params = VIEW_PARAMS.pack({
      rays: s.tileRays,
      first_pixel: tile.first,
      pixels: tile.list ? tile.list.length : camera.width * camera.height,
      max_samples: s.maxSamplesPerRay,
      grid_res: this.gridRes,
      step: s.step,
      k: this.k,
      total,
      listed: tile.list ? 1 : 0,
    });
    this.device.queue.writeBuffer(this.buffers.params, 0, params);
  }

  private async runTile(camera: ViewCamera, tile: TileSpec): Promise<RenderedTile> {
    const d = this.device;
    const b = this.buffers;
    const { tileRays, chunk } = this.settings;
    const index = tile.index;
    const groups = Math.ceil(tileRays / WORKGROUP);
    d.queue.writeBuffer(b.camera, 0, CAMERA.pack(cameraRecord(camera)));
    if (tile.list) d.queue.writeBuffer(b.pixelList, 0, tile.list);
    this.writeParams(camera, tile, 0);

    // Rays and their samples; the tile's sample total comes back to size the field's work.
    let encoder = d.createCommandEncoder({ label: `view tile ${index}: samples` });
    let passes = new ComputePasses(encoder);
    this.kernels.rays.dispatch(passes.stage('view rays'), this.groups.rays, groups);
    passes.end();
    encoder.copyBufferToBuffer(b.count, 0, b.first, 0, tileRays * 4);
    this.scan.encode(encoder, b.first);
    passes = new ComputePasses(encoder);
    this.kernels.write.dispatch(passes.stage('view samples'), this.groups.write, groups);
    passes.end();
    encoder.copyBufferToBuffer(b.first, (tileRays - 1) * 4, b.totalRead, 0, 4);
    encoder.copyBufferToBuffer(b.count, (tileRays - 1) * 4, b.totalRead, 4, 4);
    d.queue.submit([encoder.finish()]);
    await b.totalRead.mapAsync(GPUMapMode.READ);
    const [lastFirst, lastCount] = new Uint32Array(b.totalRead.getMappedRange());
    const total = lastFirst! + lastCount!;
    b.totalRead.unmap();
    this.writeParams(camera, tile, total);

    // The field on as many chunks as there are samples, then compositing and the pixel records.
    encoder = d.createCommandEncoder({ label: `view tile ${index}: field and pixels` });
    for (let c = 0; c * chunk < total; c++) {
      passes = new ComputePasses(encoder);
      this.kernels.inputs.dispatch(passes.stage('view field input'), this.groups.inputs[c]!, Math.ceil(chunk / WORKGROUP));
      this.field.forward(passes, this.batch, b.positions, b.colourInput);
      passes.end();
      encoder.copyBufferToBuffer(this.batch.raw, 0, b.raw, c * chunk * 16, chunk * 16);
      for (let j = 0; j < this.k; j++)
        encoder.copyBufferToBuffer(this.batch.logits, j * chunk * 4, b.logits, (j * this.capacity + c * chunk) * 4, chunk * 4);
    }
    passes = new ComputePasses(encoder);
    const pass = passes.stage('view composite');
    this.renderer.encodeComposite(
      pass,
      this.renderParams,
      tileRays,
      { range: b.range, geom: b.geom, raw: b.raw, logits: b.logits },
      b.rendered,
    );
    this.kernels.finish.dispatch(pass, this.groups.finish, groups);
    passes.end();
    encoder.copyBufferToBuffer(b.pixels, 0, b.pixelRead, 0, b.pixelRead.size);
    d.queue.submit([encoder.finish()]);
    await b.pixelRead.mapAsync(GPUMapMode.READ);
    const data = new Float32Array(b.pixelRead.getMappedRange(), 0, tile.count * pixelStride(this.k)).slice();
    b.pixelRead.unmap();
    return { index, firstPixel: tile.first, pixels: tile.count, data };
  }

  destroy(): void {
    Object.values(this.buffers).forEach((buf) => buf.destroy());
    this.chunkParams.forEach((buf) => buf.destroy());
    this.renderParams.destroy();
    this.scan.destroy();
    destroyBuffers(this.batch);
  }
}

function destroyBuffers(x: unknown): void {
  if (typeof x !== 'object' || x === null) return;
  if ('mapAsync' in x && 'destroy' in x) (x as GPUBuffer).destroy();
  else Object.values(x).forEach(destroyBuffers);
}
