/**
 * What the viewport shows of the field: a view rendered from the orbit camera (or exactly at a
 * training camera) whenever the camera moved or the field changed enough, at a resolution that
 * adapts so that a turn of the run loop stays short (the page must answer clicks while a software
 * adapter trains), then drawn in the chosen mode. Every mode is drawn from the same rendered view,
 * so changing the mode, a merge or the overlay needs no new render.
 */
import type { Rgb8 } from '../discover/class-colours.ts';
import { knownColour } from '../discover/class-colours.ts';
import { resizedCamera, type RenderedView } from '../field/view-renderer.ts';
import type { DiscoveryPipeline } from '../pipeline/discovery-pipeline.ts';
import { resampleNearest, resizeRgba, unitRgb } from '../scan/resample.ts';
import type { Scan } from '../scan/scan.ts';
import type { CameraPhoto } from './camera-photo.ts';
import type { ViewSettings } from './control-panel.ts';
import type { FieldViewport, ViewportCamera } from './field-viewport.ts';
import { fitPca, renderHeatMap, renderViewMode, similarityMap, type PcaBasis, type ViewMode, type ViewModeContext } from './view-modes.ts';

/** While training, a view should take about this long; the resolution adapts to it. */
const VIEW_BUDGET_MS = 120;
/** At rest the view sharpens (resolution doubled) while a render would take less than this. */
const IDLE_BUDGET_MS = 1500;
const MIN_SCALE = 1 / 16;
/** While training, the view is refreshed every this many steps (and whenever the camera moves). */
const STEPS_PER_VIEW = 20;

export interface ShownView {
  view: RenderedView;
  camera: ViewportCamera;
  /** The training frame the view is exactly, or -1. */
  frame: number;
  /** Discovered class per pixel (after the user's merges), or null before the first discovery. */
  classes: Int32Array | null;
  cameraVersion: number;
  steps: number;
}

export class FieldDisplay {
  private scale = 1 / 8;
  /** Milliseconds the last render took. */
  private lastRenderMs = 0;
  private current: ShownView | null = null;
  private scan: Scan | null = null;
  private pca: PcaBasis | null = null;
  /** The embedding "Show similar" compares with, or null. */
  similarTo: Float64Array | null = null;
  similar = false;

  constructor(
    private readonly viewport: FieldViewport,
    private readonly photo: CameraPhoto,
    private readonly settings: Readonly<ViewSettings>,
    /** Colour of a class id (after merges). */
    private readonly classColour: (id: number) => Rgb8,
    /** The class a discovered id is shown as (the user's merges). */
    private readonly mergedInto: (id: number) => number,
    /** Where a problem with the chosen mode is told (a mode that needs a training camera...). */
    private readonly note: (text: string) => void,
  ) {}

  get shown(): ShownView | null {
    return this.current;
  }

  /** A new scan (or none): nothing is shown until its first view. */
  clear(scan: Scan | null): void {
    this.scan = scan;
    this.current = null;
    this.pca = null;
    this.similarTo = null;
    this.photo.show(null);
  }

  /** The field's weights changed under the shown view (reset, resume, roll-back): render again. */
  fieldReplaced(): void {
    if (this.current) this.current.steps = -Infinity;
  }

  /** The PCA basis is fitted again on the next view shown in that mode. */
  refitPca(): void {
    this.pca = null;
    this.draw();
  }

  /** Renders the field when the view is stale, at an adaptive resolution, then draws it. */
  async refresh(pipeline: DiscoveryPipeline, training: boolean): Promise<void> {
    const shown = this.current;
    const cameraMoved = !shown || shown.cameraVersion !== this.viewport.cameraVersion;
    const fieldChanged = shown !== null && pipeline.steps - shown.steps >= STEPS_PER_VIEW;
    // Doubling the scale quadruples the rays: sharpen only while that stays short.
    const sharpen = !training && shown !== null && this.scale < this.settings.resolution && 4 * this.lastRenderMs < IDLE_BUDGET_MS;
    if (!cameraMoved && !fieldChanged && !sharpen) return;
    if (sharpen && !cameraMoved) this.scale = Math.min(this.settings.resolution, this.scale * 2);
    const frame = this.viewport.currentCamera;
    const { width, height } = this.viewport.size;
    const w = Math.max(8, Math.round(width * this.scale));
    const h = Math.max(6, Math.round(height * this.scale));
    const camera = frame >= 0 ? frameCamera(pipeline.scan.frames[frame]!, w) : this.viewport.viewCamera(w, h);
    const cameraVersion = this.viewport.cameraVersion;
    const started = performance.now();
    const view = await pipeline.renderView(camera);
    const elapsed = performance.now() - started;
    this.lastRenderMs = elapsed;
    if (training || cameraMoved) {
      const adapted = this.scale * Math.sqrt(VIEW_BUDGET_MS / Math.max(elapsed, 1));
      this.scale = Math.min(this.settings.resolution, Math.max(MIN_SCALE, adapted));
    }
    this.current = { view, camera, frame, classes: this.classesOf(pipeline, view), cameraVersion, steps: pipeline.steps };
    this.draw();
  }

  /** Class ids of the shown view again (after a discovery update or a merge), then the display. */
  relabel(pipeline: DiscoveryPipeline): void {
    if (this.current) this.current.classes = this.classesOf(pipeline, this.current.view);
    this.draw();
  }

  private classesOf(pipeline: DiscoveryPipeline, view: RenderedView): Int32Array | null {
    return pipeline.classesOf(view)?.map(this.mergedInto) ?? null;
  }

  /** The shown view in the chosen mode (or the similarity heat map) on the canvas. */
  draw(): void {
    const scan = this.scan;
    const shown = this.current;
    if (!shown || !scan) return;
    const { view } = shown;
    const mode = this.settings.mode;
    const similar = this.similar && this.similarTo !== null;
    this.photo.show(this.settings.photo && shown.frame >= 0 ? scan.frames[shown.frame]! : null, shown.frame);
    try {
      let rgba: Uint8ClampedArray;
      if (similar) rgba = renderHeatMap(similarityMap(view, this.similarTo!), view.width, view.height);
      else {
        if (mode === 'pca' && (!this.pca || this.pca.mean.length !== view.k)) this.pca = fitPca(view);
        rgba = renderViewMode(mode, view, this.modeContext(mode, shown, scan));
      }
      this.blendOverlay(rgba, mode, view);
      this.viewport.showImage(rgba, view.width, view.height);
      // For scripts: what the canvas shows, and a counter that moves with every new image.
      const canvas = this.viewport.canvas.dataset;
      canvas.mode = similar ? 'similar' : mode;
      canvas.shown = String(Number(canvas.shown ?? 0) + 1);
      canvas.frame = String(shown.frame);
      canvas.scan = scan.sourceName;
      canvas.steps = String(shown.steps);
    } catch (e) {
      this.note(e instanceof Error ? e.message : String(e));
    }
  }

  /** Overlay opacity: semantic modes drawn over the RGB rendering. */
  private blendOverlay(rgba: Uint8ClampedArray, mode: ViewMode, view: RenderedView): void {
    const a = this.settings.overlay;
    if (a >= 1 || mode === 'rgb') return;
    const rgb = view.rgb;
    for (let p = 0; p < rgba.length / 4; p++)
      for (let c = 0; c < 3; c++) rgba[4 * p + c] = a * rgba[4 * p + c]! + (1 - a) * 255 * rgb[3 * p + c]!;
  }

  private modeContext(mode: ViewMode, shown: ShownView, scan: Scan): ViewModeContext {
    const context: ViewModeContext = { classColour: this.classColour };
    const { view } = shown;
    if (mode === 'classes') context.classes = shown.classes ?? new Int32Array(view.width * view.height).fill(-1);
    if (mode === 'pca' && this.pca) context.pca = this.pca;
    const frame = shown.frame >= 0 ? scan.frames[shown.frame]! : null;
    if (mode === 'ground-truth') {
      if (!scan.hasLabels) throw new Error('this scan has no ground-truth labels');
      if (!frame) throw new Error('ground truth exists at the training cameras only: click a camera');
      const to = { ...shown.camera.intrinsics, width: view.width, height: view.height };
      context.groundTruth = {
        labels: resampleNearest(frame.labels!, frame.intrinsics, to, new Uint16Array(to.width * to.height)),
        colour: (id) => knownColour(id, true),
      };
    }
    if (mode === 'error') {
      if (!frame) throw new Error('photos exist at the training cameras only: click a camera');
      context.photo = unitRgb(resizeRgba(frame.rgba, frame.width, frame.height, view.width, view.height));
    }
    return context;
  }
}

/** Training frame `f`'s camera at `width` pixels across (its own aspect), so photo and labels line up. */
function frameCamera(f: Scan['frames'][number], width: number): ViewportCamera {
  const s = Math.min(1, width / f.width);
  return resizedCamera(f, Math.max(8, Math.round(f.width * s)), Math.max(6, Math.round(f.height * s)));
}
