/**
 * The viewer: one scan at a time, the pipeline on it running live. The page opens on the
 * built-in demo room (generated in workers, segmented by the default model) and starts by
 * itself; a dropped or picked scan replaces it once it has loaded (a bad one leaves everything
 * as it was).
 *
 * One loop per pipeline, on animation frames: a few training steps, a discovery update every N
 * steps, and a view of the field from the orbit camera whenever the camera moved or the field
 * changed enough, at a resolution that adapts so that a frame of the loop stays short (the page
 * must answer clicks while a software adapter trains). Everything the GPU does is awaited, so
 * the main thread is free in between.
 */
import { DiscoveryPipeline, summariseClasses, TrainingDivergedError, type ClassSummary } from '../pipeline/discovery-pipeline.ts';
import {
  checkpointBytes,
  labelAllFrames,
  labelledPointCloud,
  labelsZip,
  pipelineMetrics,
  type ExportClass,
} from '../export/pipeline-exports.ts';
import { segmenterToScanIds } from '../eval/label-scoring.ts';
import type { ScanSession } from '../scan/scan-session.ts';
import { DEFAULT_DISCOVERY, type DiscoverySettings } from '../discover/class-discovery.ts';
import { discoveredColour, knownColour, type Rgb8 } from '../discover/class-colours.ts';
import { pixelClasses } from '../discover/scene-discovery.ts';
import { restoreCheckpoint } from '../field/checkpoint.ts';
import { resizedCamera, type RenderedView } from '../field/view-renderer.ts';
import type { GpuContext } from '../gpu/gpu-context.ts';
import { backProjectPixel } from '../math/camera-convention.ts';
import type { ScanInput } from '../scan/load-scan-in-worker.ts';
import { resampleNearest, resizeRgba } from '../scan/resample.ts';
import type { Scan } from '../scan/scan.ts';
import { loadCatalogEntry, MODEL_CATALOG } from '../segment/model-catalog.ts';
import type { Segmenter } from '../segment/segmenter.ts';
import { generateScanInBrowser } from '../synth/generate-in-browser.ts';
import { CameraPhoto } from './camera-photo.ts';
import { ClassLegend } from './class-legend.ts';
import { ControlPanel, DEFAULT_PANEL } from './control-panel.ts';
import { FieldViewport, type ViewportCamera } from './field-viewport.ts';
import { PixelInspector } from './pixel-inspector.ts';
import { TrainingCharts } from './training-charts.ts';
import {
  argmax,
  fitPca,
  pixelEmbedding,
  renderHeatMap,
  renderViewMode,
  similarityMap,
  type PcaBasis,
  type ViewMode,
} from './view-modes.ts';

/** The demo room: small enough to train visibly on a software adapter. */
export const DEMO_SCAN = { preset: 'demo', frames: 40, width: 160, height: 120 } as const;

/** While training, a view of the loop should take about this long; the resolution adapts to it. */
const VIEW_BUDGET_MS = 120;
/** At rest the view sharpens (resolution doubled) while a render would take less than this. */
const IDLE_BUDGET_MS = 1500;
const MIN_SCALE = 1 / 16;
const NOTICE_MS = 20_000;
/** While training, the view is refreshed every this many steps (and whenever the camera moves). */
const STEPS_PER_VIEW = 20;

interface ShownView {
  view: RenderedView;
  camera: ViewportCamera;
  /** The training frame the view is exactly, or -1. */
  frame: number;
  classes: Int32Array | null;
  cameraVersion: number;
  steps: number;
}

export interface ViewerState {
  stage: string;
  steps: number;
  classes: ClassSummary[];
}

export class ViewerApp {
  private readonly viewport: FieldViewport;
  private readonly panel: ControlPanel;
  private readonly legend: ClassLegend;
  private readonly inspector: PixelInspector;
  private readonly charts = new TrainingCharts();
  private readonly photo = new CameraPhoto();
  private pipeline: DiscoveryPipeline | null = null;
  /** Bumped for every new pipeline: a loop or a stage of an older one stops at its next await. */
  private generation = 0;
  private scale = 1 / 8;
  /** Milliseconds the last render took. */
  private lastRenderMs = 0;
  private shown: ShownView | null = null;
  private pca: PcaBasis | null = null;
  private similarTo: Float64Array | null = null;
  private similar = false;
  private lastDiscoveryStep = 0;
  private stepsPerSecond = 0;
  private psnr = NaN;
  /** Scan class id of each segmenter class (-1 none), for colours that match the ground truth. */
  private scanIdOfClass: Int32Array = new Int32Array(0);
  private readonly names = new Map<number, string>();
  private readonly merges = new Map<number, number>();
  private stage = 'Starting';
  private notice: { text: string; at: number } | null = null;
  /** GPU work of the loop and of exports, one at a time (they share the renderer's buffers). */
  private gpuQueue: Promise<unknown> = Promise.resolve();
  private discoveryNote = '';

  constructor(
    private readonly parts: { viewport: HTMLElement; side: HTMLElement; status: HTMLElement },
    private readonly ctx: GpuContext,
    private readonly session: ScanSession,
    private readonly segmenter: () => Segmenter,
  ) {
    this.viewport = new FieldViewport(parts.viewport, {
      onPixelClick: (x, y) => void this.inspect(x, y),
      onFrustumClick: (i) => this.goToCamera(i),
    });
    this.panel = new ControlPanel(parts.side, DEFAULT_PANEL, {
      onReset: () => this.resetField(),
      onLearningRate: (lr) => this.pipeline?.trainer.setLearningRate(lr),
      onKlWeight: (w) => this.pipeline?.trainer.setKlWeight(w),
      onDiscoverySettings: () => this.pipeline?.setDiscoverySettings(this.discoverySettings()),
      onDiscoverNow: () => (this.lastDiscoveryStep = -Infinity),
      onViewChange: () => this.viewChanged(),
      onGoToCamera: (i) => this.goToCamera(i),
      onPcaRefresh: () => ((this.pca = null), this.display()),
      onExport: (what) => void this.export(what),
      onResume: () => this.pickCheckpoint(),
    });
    this.legend = new ClassLegend({
      onRename: (id, name) => (this.names.set(id, name), this.refreshLegend()),
      onMerge: (into, from) => (this.merges.set(from, into), this.refreshLegend(), this.relabelShown()),
    });
    this.inspector = new PixelInspector({ onSimilar: (on) => ((this.similar = on), this.display()) });
    this.inspector.clear();
    parts.viewport.append(this.photo.element);
    parts.side.prepend(this.panel.gui.domElement, this.legend.element, this.inspector.element, this.charts.element);
  }

  /** The lil-gui panel, for the page to add its own folders to (the segmenter's). */
  get controls(): ControlPanel['gui'] {
    return this.panel.gui;
  }

  /** What the page shows now (for scripts and tests). */
  get state(): ViewerState {
    return { stage: this.parts.status.textContent ?? '', steps: this.pipeline?.steps ?? 0, classes: this.legendClasses() };
  }

  private setStatus(stage: string): void {
    this.stage = stage;
    const notice = this.notice && performance.now() - this.notice.at < NOTICE_MS ? this.notice.text : '';
    this.parts.status.textContent = [stage, this.discoveryNote, notice].filter((t) => t).join(' · ');
  }

  /** A message that stays in the status line for a while, whatever the stage (errors, results of a user action). */
  private note(text: string): void {
    this.notice = { text, at: performance.now() };
    this.setStatus(this.stage);
  }

  /** Generates the demo room and loads it as if it had been dropped. */
  async startDemo(): Promise<void> {
    this.setStatus('Generating the demo room');
    const files = await generateScanInBrowser(DEMO_SCAN, (done, total) =>
      this.setStatus(`Generating the demo room: ${done}/${total} frames`),
    );
    const input: ScanInput = {
      kind: 'files',
      name: 'demo room',
      entries: [...files].map(([path, bytes]) => ({ path, blob: new Blob([bytes as Uint8Array<ArrayBuffer>]) })),
    };
    await this.session.load(input);
  }

  /** A scan finished loading: the pipeline restarts on it. */
  async start(scan: Scan): Promise<void> {
    const generation = ++this.generation;
    // The old pipeline's loop stops at its next await; its GPU work in flight finishes first
    // (destroying buffers under a pending read-back would fail it).
    const old = this.pipeline;
    this.pipeline = null;
    await this.gpuQueue.catch(() => {});
    old?.destroy();
    this.shown = null;
    this.photo.show(null);
    this.pca = null;
    this.similarTo = null;
    this.names.clear();
    this.merges.clear();
    this.discoveryNote = '';
    this.charts.reset();
    this.inspector.clear();
    this.legend.update([], () => [0, 0, 0]);
    const stale = () => generation !== this.generation;
    try {
      const segmenter = this.segmenter();
      if (!segmenter.info) {
        this.setStatus('Loading the segmenter');
        await loadCatalogEntry(segmenter, MODEL_CATALOG[0]!);
      }
      if (stale()) return;
      const pipeline = await DiscoveryPipeline.create(
        this.ctx,
        scan,
        segmenter,
        { keyframes: Math.min(24, scan.frames.length), samplesPerSegment: 12, discovery: this.discoverySettings() },
        (stage, done, total) => !stale() && this.setStatus(`${stage === 'segmenting' ? 'Segmenting' : 'Pre-segmenting'} ${done}/${total}`),
      );
      if (stale()) return pipeline.destroy();
      this.pipeline = pipeline;
      this.scanIdOfClass = segmenterToScanIds(scan.classes ?? [], segmenter.info!.manifest.classes);
      pipeline.trainer.setLearningRate(this.panel.values.learningRate);
      pipeline.trainer.setKlWeight(this.panel.values.klWeight);
      const radius = Math.max(...scan.frames.map((f) => Math.hypot(f.c2w[3]!, f.c2w[7]!, f.c2w[11]!)), 0.5);
      this.viewport.setCameras(scan.frames, radius);
      this.panel.setCameraCount(scan.frames.length);
      this.lastDiscoveryStep = 0;
      await this.loop(generation);
    } catch (e) {
      if (stale()) return;
      this.setStatus(`Stopped: ${e instanceof Error ? e.message : String(e)}`);
      this.panel.setTraining(false);
    }
  }

  private discoverySettings(): DiscoverySettings {
    const v = this.panel.values;
    return {
      ...DEFAULT_DISCOVERY,
      algorithm: v.algorithm,
      inflation: v.inflation,
      minClusterSize: v.minClusterSize,
      confidence: v.confidence,
    };
  }

  private async loop(generation: number): Promise<void> {
    let windowStart = performance.now();
    let windowSteps = this.pipeline!.steps;
    while (generation === this.generation) {
      const pipeline = this.pipeline!;
      const v = this.panel.values;
      if (v.training) {
        let losses;
        try {
          losses = await this.exclusive(() => pipeline.train(v.stepsPerFrame, v.stepsPerFrame));
        } catch (e) {
          if (!(e instanceof TrainingDivergedError) || generation !== this.generation) throw e;
          await this.exclusive(async () => this.recover(pipeline, e));
          continue;
        }
        if (generation !== this.generation) return;
        this.psnr = losses.psnr;
        this.charts.addTraining(pipeline.steps, losses.colour + v.klWeight * losses.kl, losses.psnr);
        const now = performance.now();
        if (now - windowStart > 1000) {
          this.stepsPerSecond = ((pipeline.steps - windowSteps) * 1000) / (now - windowStart);
          windowStart = now;
          windowSteps = pipeline.steps;
        }
        this.setStatus(`Training: step ${pipeline.steps}, ${this.stepsPerSecond.toFixed(1)} steps/s, PSNR ${losses.psnr.toFixed(2)} dB`);
      } else {
        this.setStatus(`Paused at step ${pipeline.steps} (PSNR ${Number.isFinite(this.psnr) ? this.psnr.toFixed(2) : '—'} dB)`);
      }
      if (pipeline.steps - this.lastDiscoveryStep >= v.discoverEvery && pipeline.steps > 0) {
        await this.exclusive(() => this.discover(pipeline));
        if (generation !== this.generation) return;
      }
      await this.exclusive(() => this.refreshView(pipeline, v.training));
      if (generation !== this.generation) return;
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
  }

  /**
   * Training diverged: the field goes back to its last sound state with half the learning rate,
   * and training pauses, so that the user sees what happened and chooses to go on (Start).
   */
  private recover(pipeline: DiscoveryPipeline, e: TrainingDivergedError): void {
    if (pipeline !== this.pipeline) return;
    const { step, learningRate } = pipeline.recoverFromDivergence();
    this.panel.setLearningRate(learningRate);
    this.panel.setTraining(false);
    this.fieldReplaced();
    this.note(
      `${e.message[0]!.toUpperCase()}${e.message.slice(1)}: rolled back to step ${step}, learning rate halved to ${learningRate.toPrecision(3)}. Press Start to go on.`,
    );
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.gpuQueue.then(work, work);
    this.gpuQueue = run.catch(() => {});
    return run;
  }

  private async discover(pipeline: DiscoveryPipeline): Promise<void> {
    this.lastDiscoveryStep = pipeline.steps;
    if (!pipeline.segmentations) this.setStatus('Pre-segmenting');
    const stage = this.stage;
    const update = await pipeline.discover((_, done, total) => this.setStatus(`Pre-segmenting ${done}/${total}`));
    const classes = this.legendClasses();
    const novel = classes.filter((c) => !c.known).length;
    this.discoveryNote = `Discovery: update ${update.update + 1} at step ${pipeline.steps}, ${classes.length} classes (${novel} novel)`;
    this.charts.addDiscovery(pipeline.steps, classes.length - novel, novel);
    this.refreshLegend();
    this.relabelShown();
    this.setStatus(stage);
  }

  /** The last update's classes after the user's merges, with their names. */
  private legendClasses(): ClassSummary[] {
    const update = this.pipeline?.lastUpdate;
    if (!update) return [];
    const out = new Map<number, ClassSummary>();
    for (const c of summariseClasses(update.classes)) {
      const id = this.mergedInto(c.id);
      const existing = out.get(id);
      if (existing) existing.share += c.share;
      else
        out.set(id, {
          ...c,
          id,
          name: this.names.get(id) ?? (id === c.id ? c.name : (update.classes.find((x) => x.id === id)?.name ?? c.name)),
        });
    }
    return [...out.values()].sort((a, b) => a.id - b.id);
  }

  private mergedInto = (id: number): number => {
    let at = id;
    for (let hops = 0; this.merges.has(at) && hops < 64; hops++) at = this.merges.get(at)!;
    return at;
  };

  private refreshLegend(): void {
    this.legend.update(this.legendClasses(), (id) => this.classColour(id), this.names);
  }

  /** Called per pixel by the class modes: the scan ids of the segmenter's classes are looked up once per pipeline. */
  private classColour(id: number): Rgb8 {
    return this.pipeline ? discoveredColour(this.mergedInto(id), this.scanIdOfClass) : knownColour(id);
  }

  private goToCamera(index: number): void {
    this.viewport.flyTo(index);
    this.panel.showCamera(index);
  }

  /** A display setting changed: every mode is drawn from the same rendered view, so no new render is needed (unless the camera must move). */
  private viewChanged(): void {
    this.viewport.setFrustumsVisible(this.panel.values.frustums);
    const mode = this.panel.values.mode;
    if ((mode === 'ground-truth' || mode === 'error') && this.viewport.currentCamera < 0) this.goToCamera(this.nearestTrainingCamera());
    else this.display();
  }

  private nearestTrainingCamera(): number {
    const frames = this.pipeline?.scan.frames ?? [];
    const c = this.viewport.viewCamera(1, 1).c2w;
    let best = 0;
    let bestDistance = Infinity;
    frames.forEach((f, i) => {
      const d = Math.hypot(f.c2w[3]! - c[3]!, f.c2w[7]! - c[7]!, f.c2w[11]! - c[11]!);
      if (d < bestDistance) [best, bestDistance] = [i, d];
    });
    return best;
  }

  /** Renders the field from the orbit camera when the view is stale, at an adaptive resolution. */
  private async refreshView(pipeline: DiscoveryPipeline, training: boolean): Promise<void> {
    const cameraMoved = !this.shown || this.shown.cameraVersion !== this.viewport.cameraVersion;
    const fieldChanged = this.shown !== null && pipeline.steps - this.shown.steps >= STEPS_PER_VIEW;
    // Doubling the scale quadruples the rays: sharpen only while that stays short.
    const sharpen = !training && this.shown !== null && this.scale < this.panel.values.resolution && 4 * this.lastRenderMs < IDLE_BUDGET_MS;
    if (!cameraMoved && !fieldChanged && !sharpen) return;
    if (sharpen && !cameraMoved) this.scale = Math.min(this.panel.values.resolution, this.scale * 2);
    const frame = this.viewport.currentCamera;
    const { width, height } = this.viewport.size;
    const w = Math.max(8, Math.round(width * this.scale));
    const h = Math.max(6, Math.round(height * this.scale));
    const camera = frame >= 0 ? this.frameCamera(pipeline.scan.frames[frame]!, w) : this.viewport.viewCamera(w, h);
    const cameraVersion = this.viewport.cameraVersion;
    const started = performance.now();
    const view = await pipeline.renderer.renderView(camera);
    const elapsed = performance.now() - started;
    this.lastRenderMs = elapsed;
    if (pipeline !== this.pipeline) return;
    if (training || cameraMoved)
      this.scale = Math.min(
        this.panel.values.resolution,
        Math.max(MIN_SCALE, this.scale * Math.sqrt(VIEW_BUDGET_MS / Math.max(elapsed, 1))),
      );
    const update = pipeline.lastUpdate;
    const classes = update ? pixelClasses(view, update.classes, pipeline.discoverySettings.entropyWeight).map(this.mergedInto) : null;
    this.shown = { view, camera, frame, classes, cameraVersion, steps: pipeline.steps };
    this.display();
  }

  /** Training frame `f`'s camera at `width` pixels across (its own aspect), so photo and labels line up. */
  private frameCamera(f: Scan['frames'][number], width: number): ViewportCamera {
    const s = Math.min(1, width / f.width);
    return resizedCamera(f, Math.max(8, Math.round(f.width * s)), Math.max(6, Math.round(f.height * s)));
  }

  /** Class ids of the shown view again (after a merge), then the display. */
  private relabelShown(): void {
    const shown = this.shown;
    const update = this.pipeline?.lastUpdate;
    if (shown && update)
      shown.classes = pixelClasses(shown.view, update.classes, this.pipeline!.discoverySettings.entropyWeight).map(this.mergedInto);
    this.display();
  }

  /** The shown view in the chosen mode (or the similarity heat map) on the canvas. */
  private display(): void {
    const shown = this.shown;
    const pipeline = this.pipeline;
    if (!shown || !pipeline) return;
    const { view } = shown;
    const mode = this.panel.values.mode;
    this.photo.show(this.panel.values.photo && shown.frame >= 0 ? pipeline.scan.frames[shown.frame]! : null, shown.frame);
    try {
      let rgba: Uint8ClampedArray;
      if (this.similar && this.similarTo) rgba = renderHeatMap(similarityMap(view, this.similarTo), view.width, view.height);
      else {
        if (mode === 'pca' && (!this.pca || this.pca.mean.length !== view.k)) this.pca = fitPca(view);
        rgba = renderViewMode(mode, view, this.modeContext(mode, shown));
      }
      this.blendOverlay(rgba, mode);
      this.viewport.showImage(rgba, view.width, view.height);
      // For scripts: what the canvas shows, and a counter that moves with every new image.
      const canvas = this.viewport.canvas.dataset;
      canvas.mode = this.similar && this.similarTo ? 'similar' : mode;
      canvas.shown = String(Number(canvas.shown ?? 0) + 1);
      canvas.frame = String(shown.frame);
      canvas.scan = pipeline.scan.sourceName;
      canvas.steps = String(shown.steps);
    } catch (e) {
      this.note(e instanceof Error ? e.message : String(e));
    }
  }

  /** Overlay opacity: semantic modes drawn over the RGB rendering. */
  private blendOverlay(rgba: Uint8ClampedArray, mode: ViewMode): void {
    const a = this.panel.values.overlay;
    if (a >= 1 || mode === 'rgb' || !this.shown) return;
    const rgb = this.shown.view.rgb;
    for (let p = 0; p < rgba.length / 4; p++)
      for (let c = 0; c < 3; c++) rgba[4 * p + c] = a * rgba[4 * p + c]! + (1 - a) * 255 * rgb[3 * p + c]!;
  }

  private modeContext(mode: ViewMode, shown: ShownView): Parameters<typeof renderViewMode>[2] {
    const pipeline = this.pipeline!;
    const context: Parameters<typeof renderViewMode>[2] = { classColour: (id) => this.classColour(id) };
    if (mode === 'classes') context.classes = shown.classes ?? new Int32Array(shown.view.width * shown.view.height).fill(-1);
    if (mode === 'pca' && this.pca) context.pca = this.pca;
    const frame = shown.frame >= 0 ? pipeline.scan.frames[shown.frame]! : null;
    if (mode === 'ground-truth') {
      if (!pipeline.scan.hasLabels) throw new Error('this scan has no ground-truth labels');
      if (!frame) throw new Error('ground truth exists at the training cameras only: click a camera');
      const to = { ...shown.camera.intrinsics, width: shown.view.width, height: shown.view.height };
      context.groundTruth = {
        labels: resampleNearest(frame.labels!, frame.intrinsics, to, new Uint16Array(to.width * to.height)),
        colour: (id) => knownColour(id, true),
      };
    }
    if (mode === 'error') {
      if (!frame) throw new Error('photos exist at the training cameras only: click a camera');
      const rgba = resizeRgba(frame.rgba, frame.width, frame.height, shown.view.width, shown.view.height);
      context.photo = Float32Array.from(
        { length: shown.view.width * shown.view.height * 3 },
        (_, i) => rgba[Math.floor(i / 3) * 4 + (i % 3)]! / 255,
      );
    }
    return context;
  }

  /** The inspector for the clicked pixel of the shown view (x, y in 0..1 of the canvas). */
  private async inspect(x: number, y: number): Promise<void> {
    const shown = this.shown;
    const pipeline = this.pipeline;
    if (!shown || !pipeline) return;
    const { view, camera } = shown;
    const px = Math.min(view.width - 1, Math.floor(x * view.width));
    const py = Math.min(view.height - 1, Math.floor(y * view.height));
    const p = py * view.width + px;
    const k = view.k;
    const probs = view.probs.subarray(p * k, (p + 1) * k);
    const opacity = view.opacity[p]!;
    const z = opacity > 0.05 ? view.depth[p]! / opacity : NaN;
    const scale = pipeline.scan.normalisation.scale;
    let point: [number, number, number] | null = null;
    if (Number.isFinite(z)) {
      const world = [0, 0, 0];
      backProjectPixel(camera.c2w, camera.intrinsics, px, py, z, world);
      const { offset } = pipeline.scan.normalisation;
      point = [world[0]! / scale + offset[0], world[1]! / scale + offset[1], world[2]! / scale + offset[2]];
    }
    const embedding = pixelEmbedding(view, p);
    const names = pipeline.classNames;
    const cls = shown.classes ? shown.classes[p]! : -1;
    const legend = this.legendClasses().find((c) => c.id === cls);
    let segment: number | null = null;
    const segs = pipeline.segmentations;
    if (shown.frame >= 0 && segs) {
      const seg = segs[shown.frame]!;
      segment =
        seg.segments[
          Math.min(seg.height - 1, Math.floor(((py + 0.5) * seg.height) / view.height)) * seg.width +
            Math.min(seg.width - 1, Math.floor(((px + 0.5) * seg.width) / view.width))
        ]!;
      if (segment < 0) segment = null;
    }
    // How the segment looks against the segmenter's training examples of the pixel's likeliest class.
    const likeliest = argmax(view.probs, p * k, k);
    const distances = segment !== null && likeliest >= 0 ? pipeline.segmentClassDistances(shown.frame, segment) : null;
    this.similarTo = embedding;
    this.inspector.show({
      x: px,
      y: py,
      ...(shown.frame >= 0 && { frame: pipeline.scan.frames[shown.frame]!.name }),
      point,
      depth: Number.isFinite(z) ? z / scale : null,
      entropy: view.entropy[p]!,
      entropyNormalised: view.entropyNormalised[p]!,
      probs: Array.from(probs, (q, c) => ({ name: names[c]!, p: q, colour: this.classColour(c) })),
      embedding: Array.from(embedding),
      segment,
      appearance: distances ? { name: names[likeliest]!, spreads: distances[likeliest]! } : null,
      cluster: legend ? { name: legend.name, novel: !legend.known } : null,
    });
    if (this.similar) this.display();
  }

  private resetField(): void {
    const pipeline = this.pipeline;
    if (!pipeline) return;
    void this.exclusive(async () => this.resetNow(pipeline));
  }

  private resetNow(pipeline: DiscoveryPipeline): void {
    if (pipeline !== this.pipeline) return;
    pipeline.reset();
    pipeline.trainer.setLearningRate(this.panel.values.learningRate);
    pipeline.trainer.setKlWeight(this.panel.values.klWeight);
    this.charts.reset();
    this.discoveryNote = '';
    this.lastDiscoveryStep = 0;
    this.refreshLegend();
    this.fieldReplaced();
  }

  /** The field's weights changed under the shown view (reset, resume): render again. */
  private fieldReplaced(): void {
    if (this.shown) this.shown.steps = -Infinity;
  }

  private async export(what: 'labels' | 'ply' | 'metrics' | 'checkpoint'): Promise<void> {
    const pipeline = this.pipeline;
    if (!pipeline) return;
    const name = pipeline.scan.sourceName.replace(/[^\w.-]+/g, '_');
    try {
      if (what === 'checkpoint')
        return download(`${name}-step${pipeline.steps}.ncdckpt`, await this.exclusive(() => checkpointBytes(pipeline)));
      if (!pipeline.lastUpdate) throw new Error('no classes yet: let discovery run once first');
      const labels = await this.exclusive(() =>
        labelAllFrames(pipeline, this.mergedInto, (done, total) => this.setStatus(`Exporting: labelling ${done}/${total}`)),
      );
      const classes: ExportClass[] = this.legendClasses();
      const metrics = pipelineMetrics(
        pipeline,
        labels,
        classes,
        this.segmenter().info?.manifest.classes ?? [],
        Number.isFinite(this.psnr) ? this.psnr : null,
      );
      if (what === 'metrics') download(`${name}-metrics.json`, new TextEncoder().encode(`${JSON.stringify(metrics, null, 2)}\n`));
      if (what === 'labels') download(`${name}-labels.zip`, labelsZip(pipeline, labels, classes, metrics));
      if (what === 'ply') download(`${name}-classes.ply`, await this.exclusive(() => labelledPointCloud(pipeline, labels, classes)));
    } catch (e) {
      this.note(`Export failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private pickCheckpoint(): void {
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = '.ncdckpt,application/octet-stream';
    input.onchange = () => {
      const file = input.files?.[0];
      if (file) void this.resume(file);
    };
    input.click();
  }

  /** Loads a checkpoint into the running field; a bad file is reported and changes nothing. */
  async resume(file: Blob & { name?: string }): Promise<void> {
    const pipeline = this.pipeline;
    if (!pipeline) return;
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const { differences } = await this.exclusive(async () => restoreCheckpoint(pipeline.trainer, bytes));
      this.lastDiscoveryStep = -Infinity;
      this.fieldReplaced();
      this.note(
        `Resumed from ${file.name ?? 'checkpoint'} at step ${pipeline.steps}${differences.length ? ` (settings differ: ${differences.join('; ')})` : ''}`,
      );
    } catch (e) {
      this.note(`Could not resume from ${file.name ?? 'that file'}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

function download(name: string, bytes: Uint8Array): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>]));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
