/**
 * The viewer: one scan at a time, the pipeline on it running live. The page opens on the
 * built-in demo room (generated in workers, segmented by the default model) and starts by
 * itself; a dropped or picked scan replaces it once it has loaded (a bad one leaves everything
 * as it was).
 *
 * This file wires the parts together: the run loop (run/run-loop.ts, the same the command line
 * drives) trains and discovers, and between its turns the field display renders a view; the
 * loop's events feed the status line, the charts and the legend; the panel's changes go to the
 * loop. Everything the GPU does goes through the pipeline, which runs it in order, so the page's
 * thread is free in between.
 */
import { discoveredColour, knownColour, type Rgb8 } from '../discover/class-colours.ts';
import { summariseClasses, type ClassSummary } from '../discover/class-discovery.ts';
import { ClassEdits } from '../discover/class-edits.ts';
import { segmenterToScanIds } from '../eval/label-scoring.ts';
import { exportFile, type ExportKind } from '../export/pipeline-exports.ts';
import type { GpuContext } from '../gpu/gpu-context.ts';
import { DiscoveryPipeline } from '../pipeline/discovery-pipeline.ts';
import { segmentScan, type ScanSegmentation } from '../pipeline/scan-segmentation.ts';
import { LIVE_POLICY, RunLoop, type RunEvent } from '../run/run-loop.ts';
import { WARM_UP } from '../run/warm-up.ts';
import { LIVE_RUN_SETTINGS, withRunSettings, type RunSettings, type RunSettingsChanges } from '../run/run-settings.ts';
import type { ScanInput } from '../scan/load-scan-in-worker.ts';
import type { Scan } from '../scan/scan.ts';
import type { ScanSession } from '../scan/scan-session.ts';
import { defaultSegmenterFor, loadCatalogEntry } from '../segment/model-catalog.ts';
import type { Segmenter } from '../segment/segmenter.ts';
import { generateScanInBrowser } from '../synth/generate-in-browser.ts';
import { CameraPhoto } from './camera-photo.ts';
import { ClassLegend } from './class-legend.ts';
import { ControlPanel, DEFAULT_VIEW_SETTINGS } from './control-panel.ts';
import { FieldAutosave, sameScan, scanIdentity } from './field-autosave.ts';
import { FieldDisplay } from './field-display.ts';
import { FieldViewport } from './field-viewport.ts';
import { download, pickFile } from './file-transfer.ts';
import { PixelInspector } from './pixel-inspector.ts';
import { SegmenterPanel } from './segmenter-panel.ts';
import { probePixel } from './pixel-probe.ts';
import { StatusLine } from './status-line.ts';
import { TrainingCharts } from './training-charts.ts';

/** Whether `ctx`'s device is lost within `ms` milliseconds. */
function lostWithin(ctx: GpuContext, ms: number): Promise<boolean> {
  return Promise.race([ctx.lost.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);
}

/** The demo room: small enough to train visibly on a software adapter. */
export const DEMO_SCAN = { preset: 'demo', frames: 40, width: 160, height: 120 } as const;
const DEMO_NAME = 'demo room';

/** Whether `scan` is the built-in demo room (never autosaved), not a scan the user gave. */
export const isDemoScan = (scan: Scan): boolean => scan.sourceName === DEMO_NAME;

/** One pipeline and the loop that runs it. */
interface Run {
  pipeline: DiscoveryPipeline;
  segmentation: ScanSegmentation;
  loop: RunLoop;
  /** Scan class id of each segmenter class (-1 none), for colours that match the ground truth. */
  scanIdOfClass: Int32Array;
  /** The loop's run() while it runs (ends when it ends or fails). */
  active?: Promise<void>;
  /** A scan the user gave (not the demo): its field is autosaved. */
  autosaved: boolean;
  /** Step of the pipeline's copy last written to the autosave. */
  savedSteps?: number;
}

export class ViewerApp {
  private readonly viewport: FieldViewport;
  private readonly panel: ControlPanel;
  private readonly legend: ClassLegend;
  private readonly inspector: PixelInspector;
  private readonly charts = new TrainingCharts();
  private readonly photo = new CameraPhoto();
  private readonly status: StatusLine;
  private readonly display: FieldDisplay;
  private readonly edits = new ClassEdits();
  private readonly models: SegmenterPanel;
  /** The settings the user chose; every new run starts with them. */
  private settings: RunSettings = withRunSettings(LIVE_RUN_SETTINGS);
  private run: Run | null = null;
  /** Bumped for every new scan: the start of an older one stops at its next await. */
  private generation = 0;
  /** The demo room's generation while it runs (stopDemo aborts it). */
  private demoGeneration: AbortController | null = null;
  /** The model-list entry the viewer loaded by itself for the last scan, if any. */
  private autoLoaded: string | null = null;
  /** Whether the user wants training to run (kept across scans: a scan dropped while paused stays paused). */
  private training = true;
  private stepsPerSecond = { at: 0, steps: 0, value: 0 };
  /** What the status line adds to the training figures until the field is warm. */
  private warmUpNote = '';
  private psnr = NaN;

  /** Set from the moment the device is lost until the run goes on on a new one. */
  private deviceLost = false;
  private readonly autosave = new FieldAutosave();
  /** Autosave writes, one after another. */
  private saving: Promise<void> = Promise.resolve();

  constructor(
    parts: { viewport: HTMLElement; side: HTMLElement; status: HTMLElement },
    private ctx: GpuContext,
    private readonly session: ScanSession,
    private readonly segmenter: Segmenter,
  ) {
    this.status = new StatusLine(parts.status);
    this.viewport = new FieldViewport(parts.viewport, {
      onPixelClick: (x, y) => this.inspect(x, y),
      onFrustumClick: (i) => this.goToCamera(i),
    });
    this.panel = new ControlPanel(parts.side, this.settings, DEFAULT_VIEW_SETTINGS, {
      onToggleTraining: () => this.setTraining(!this.training),
      onReset: () => void this.resetField(),
      onRunSettings: (changes) => this.configure(changes),
      onDiscoverNow: () => this.run?.loop.discoverSoon(),
      onViewChange: () => this.viewChanged(),
      onGoToCamera: (i) => this.goToCamera(i),
      onPcaRefresh: () => this.display.refitPca(),
      onExport: (what) => void this.export(what),
      onResume: () => pickFile('.ncdckpt,application/octet-stream', (file) => void this.resume(file)),
    });
    this.display = new FieldDisplay(
      this.viewport,
      this.photo,
      this.panel.view,
      (id) => this.classColour(id),
      this.edits.mergedInto,
      (text) => this.status.note(text),
    );
    this.legend = new ClassLegend({
      onRename: (id, name) => (this.edits.rename(id, name), this.refreshLegend()),
      onMerge: (into, from) => {
        this.edits.merge(into, from);
        this.refreshLegend();
        if (this.run) this.display.relabel(this.run.pipeline);
      },
    });
    this.inspector = new PixelInspector({ onSimilar: (on) => ((this.display.similar = on), this.display.draw()) });
    this.inspector.clear();
    // A model or a choice of known classes the user makes there segments the scan on view again,
    // and training starts over on it.
    const restart = (): void => void (this.session.current && this.start(this.session.current));
    this.models = new SegmenterPanel(segmenter, { parent: this.panel.gui }, { onModelChosen: restart, onClassesChosen: restart });
    parts.viewport.append(this.photo.element);
    // What a person watches and clicks for comes first: the classes and the clicked pixel stay in
    // sight at 1400 x 900 above the settings, which are scrolled to when wanted.
    parts.side.prepend(this.legend.element, this.inspector.element, this.panel.gui.domElement, this.charts.element);
  }

  /** Generates the demo room and loads it as if it had been dropped. */
  async startDemo(): Promise<void> {
    this.status.show('Generating the demo room');
    const demo = new AbortController();
    this.demoGeneration = demo;
    let files: Map<string, Uint8Array>;
    try {
      files = await generateScanInBrowser(
        DEMO_SCAN,
        (done, total) => this.status.show(`Generating the demo room: ${done}/${total} frames`),
        {
          signal: demo.signal,
        },
      );
    } catch (e) {
      if (demo.signal.aborted) return;
      throw e;
    } finally {
      if (this.demoGeneration === demo) this.demoGeneration = null;
    }
    // A scan given while the demo was being generated wins: the demo must not replace it.
    if (this.session.taken) return;
    const input: ScanInput = {
      kind: 'files',
      name: DEMO_NAME,
      entries: [...files].map(([path, bytes]) => ({ path, blob: new Blob([bytes as Uint8Array<ArrayBuffer>]) })),
    };
    await this.session.load(input);
  }

  /**
   * The user gave a scan: the demo room, if still being generated, is not wanted any more, and
   * its workers would take the cores the user's scan loads and trains on.
   */
  stopDemo(): void {
    this.demoGeneration?.abort(new Error('a scan was given'));
  }

  /** The running field's PSNR on fixed pixels of its training views and the step it scored; null without a run. */
  trainingPsnr(): Promise<{ step: number; psnr: number }> | null {
    return this.run?.pipeline.psnr() ?? null;
  }

  /** A scan finished loading: the run restarts on it. */
  async start(scan: Scan): Promise<void> {
    const generation = ++this.generation;
    const stale = () => generation !== this.generation;
    const old = this.run;
    this.run = null;
    old?.loop.stop();
    // GPU work of the old pipeline in flight finishes before its buffers go.
    await old?.pipeline.destroy();
    if (stale()) return;
    this.display.clear(scan);
    this.edits.clear();
    this.status.setDiscovery('');
    this.charts.reset();
    this.inspector.clear();
    this.legend.update([], () => [0, 0, 0]);
    try {
      const segmenter = this.segmenter;
      // Unless the user picked a model, a scan gets its default: the project's own model for its
      // generated rooms, the real one for anything else.
      const wanted = defaultSegmenterFor(scan);
      if (!this.models.chosenByUser && this.autoLoaded !== wanted.id) {
        this.status.show(`Loading the segmenter (${wanted.title})`);
        await loadCatalogEntry(segmenter, wanted);
        this.autoLoaded = wanted.id;
      }
      if (stale()) return;
      const segmentation = await segmentScan(
        segmenter,
        scan,
        this.models.classChoice,
        (_, done, total) => void (!stale() && this.status.show(`Segmenting ${done}/${total}`)),
      );
      if (stale()) return;
      // Copies of the field in memory: for a lost device, and for the autosave.
      const pipeline = DiscoveryPipeline.create(this.ctx, scan, segmentation, this.settings, { keepCopies: true });
      const run: Run = {
        pipeline,
        segmentation,
        loop: new RunLoop(
          pipeline,
          this.settings,
          LIVE_POLICY,
          (event) => this.onRunEvent(run, event),
          () => this.betweenTurns(run),
        ),
        scanIdOfClass: segmenterToScanIds(scan.classes ?? [], segmentation.classes),
        autosaved: !isDemoScan(scan),
      };
      if (run.autosaved) await this.resumeFromAutosave(run);
      if (stale()) return;
      this.run = run;
      const radius = Math.max(...scan.frames.map((f) => Math.hypot(f.c2w[3]!, f.c2w[7]!, f.c2w[11]!)), 0.5);
      this.viewport.setCameras(scan.frames, radius);
      this.panel.setCameraCount(scan.frames.length);
      if (!this.training) run.loop.pause();
      this.panel.setTraining(this.training);
      this.stepsPerSecond = { at: performance.now(), steps: 0, value: 0 };
      this.warmUpNote = '';
      run.active = this.runLoop(run);
      await run.active;
    } catch (e) {
      if (stale()) return;
      this.stopped(e);
    }
  }

  /** Runs `run`'s loop until it ends, or stops with its error (unless the device was lost: the run goes on on a new one). */
  private async runLoop(run: Run): Promise<void> {
    try {
      await run.loop.run();
    } catch (e) {
      if (run !== this.run) return;
      // The work in flight fails when the device goes; deviceLost() may come a moment later.
      if (this.deviceLost || (await lostWithin(this.ctx, 1000))) return;
      this.stopped(e);
    }
  }

  private stopped(e: unknown): void {
    this.status.show(`Stopped: ${e instanceof Error ? e.message : String(e)}`);
    this.panel.setTraining(false);
  }

  /** The GPU device is gone: say so while a new one is asked for (the page's owner of the device asks). */
  onDeviceLost(info: GPUDeviceLostInfo): void {
    this.deviceLost = true;
    this.run?.loop.stop();
    this.status.note(`The GPU device was lost (${info.message || info.reason}); asking for a new one`);
  }

  /**
   * Goes on on a new device: the pipeline is rebuilt there from the field's last copy in memory,
   * everything else (scan, segmentation, classes, the user's edits and settings) as it was.
   */
  async continueOn(ctx: GpuContext, info: GPUDeviceLostInfo): Promise<void> {
    this.ctx = ctx;
    const run = this.run;
    if (!run) {
      this.deviceLost = false;
      return;
    }
    // The old loop ends at its next turn or with its failed GPU work (never waited for long).
    await Promise.race([run.active, new Promise((resolve) => setTimeout(resolve, 5000))]);
    const reached = run.pipeline.steps;
    const from = await run.pipeline.moveTo(ctx);
    this.deviceLost = false;
    if (run !== this.run) return;
    run.loop.rewoundTo(from);
    run.loop.reopen();
    this.display.fieldReplaced();
    const lost = reached - from;
    this.status.note(
      `The GPU device was lost (${info.message || info.reason}). Training goes on on a new device from step ${from}` +
        (from === 0 ? ' (no copy of the field had been kept yet)' : ` (${lost} step${lost === 1 ? '' : 's'} lost)`),
    );
    run.active = this.runLoop(run);
    await run.active;
  }

  private setTraining(on: boolean): void {
    this.training = on;
    this.panel.setTraining(on);
    if (on) this.run?.loop.resume();
    else this.run?.loop.pause();
  }

  private configure(changes: RunSettingsChanges): void {
    try {
      this.run?.loop.configure(changes);
      this.settings = withRunSettings(this.settings, changes);
    } catch (e) {
      this.status.note(e instanceof Error ? e.message : String(e));
      this.panel.showRunSettings(this.settings);
    }
  }

  private onRunEvent(run: Run, event: RunEvent): void {
    if (run !== this.run) return;
    const { pipeline } = run;
    switch (event.type) {
      case 'trained': {
        this.psnr = event.losses.psnr;
        this.charts.addTraining(event.step, event.losses.colour + this.settings.klWeight * event.losses.kl, event.losses.psnr);
        const now = performance.now();
        const rate = this.stepsPerSecond;
        if (now - rate.at > 1000)
          this.stepsPerSecond = { at: now, steps: event.step, value: ((event.step - rate.steps) * 1000) / (now - rate.at) };
        this.status.show(
          `Training: step ${event.step}, ${this.stepsPerSecond.value.toFixed(1)} steps/s, PSNR ${event.losses.psnr.toFixed(2)} dB${this.warmUpNote}`,
        );
        break;
      }
      case 'warm-up': {
        // Until the field has learnt the classes, discovery waits; say how far along that is.
        const { warm, fall, loss } = event.state;
        const falling = fall === null ? 'measuring how fast it falls' : `falling ${(100 * fall).toFixed(0)}% per ${WARM_UP.window} steps`;
        this.warmUpNote = warm
          ? ''
          : ` · warming up: semantic loss ${loss?.toFixed(4) ?? '—'}, ${falling} (discovery starts once it falls less than ${100 * WARM_UP.flatFall}%, by step ${run.loop.settings.warmUpSteps} at the latest)`;
        break;
      }
      case 'training':
        this.training = event.running;
        this.panel.setTraining(event.running);
        break;
      case 'rolled-back': {
        // Training diverged: the field is back at its last sound state with half the learning
        // rate, and the loop has paused so that the user sees what happened and chooses to go on.
        this.settings = { ...this.settings, learningRate: event.learningRate };
        this.panel.showRunSettings(this.settings);
        this.display.fieldReplaced();
        const what = event.error.message;
        this.status.note(
          `${what[0]!.toUpperCase()}${what.slice(1)}: rolled back to step ${event.step}, learning rate halved to ${event.learningRate.toPrecision(3)}. Press Start to go on.`,
        );
        break;
      }
      case 'pre-segmenting':
        this.status.show(`Pre-segmenting ${event.done}/${event.total}`);
        break;
      case 'discovered': {
        const classes = this.legendClasses();
        const novel = classes.filter((c) => !c.known).length;
        this.status.setDiscovery(
          `Discovery: update ${event.update.update + 1} at step ${event.step}, ${classes.length} classes (${novel} novel)`,
        );
        this.charts.addDiscovery(event.step, classes.length - novel, novel);
        this.refreshLegend();
        this.display.relabel(pipeline);
        break;
      }
    }
  }

  /** Goes on from the field an earlier session saved for this very scan, segmented into the same classes. */
  private async resumeFromAutosave(run: Run): Promise<void> {
    const saved = await this.autosave.read();
    if (!saved) return;
    const { record, bytes } = saved;
    const classes = run.pipeline.classNames;
    if (!sameScan(record.scan, scanIdentity(run.pipeline.scan)) || record.classes.join('\n') !== classes.join('\n')) return;
    try {
      await run.pipeline.restore(bytes);
    } catch (e) {
      this.status.note(`The saved field could not be used (${e instanceof Error ? e.message : String(e)}); training starts afresh`);
      return;
    }
    run.savedSteps = run.pipeline.steps;
    run.loop.discoverSoon();
    this.status.note(`Went on from the field saved at step ${run.pipeline.steps} (${new Date(record.savedAt).toLocaleString()})`);
  }

  /** Writes the pipeline's newest copy of the field to the autosave (a scan the user gave only). */
  private autosaveCopy(run: Run): void {
    const copy = run.pipeline.lastCopy;
    if (!run.autosaved || !copy || copy.steps === run.savedSteps) return;
    run.savedSteps = copy.steps;
    const record = {
      scan: scanIdentity(run.pipeline.scan),
      steps: copy.steps,
      classes: [...run.pipeline.classNames],
      savedAt: new Date().toISOString(),
    };
    this.saving = this.saving
      .then(() => this.autosave.write(record, copy.bytes))
      .catch((e: unknown) => this.status.note(`Could not autosave the field: ${e instanceof Error ? e.message : String(e)}`));
  }

  /** Between two turns of the loop: a view when it is stale, then the next animation frame. */
  private async betweenTurns(run: Run): Promise<void> {
    this.autosaveCopy(run);
    if (!run.loop.training)
      this.status.show(`Paused at step ${run.pipeline.steps} (PSNR ${Number.isFinite(this.psnr) ? this.psnr.toFixed(2) : '—'} dB)`);
    await this.display.refresh(run.pipeline, run.loop.training);
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }

  /** The last update's classes after the user's merges, with their names. */
  private legendClasses(): ClassSummary[] {
    const update = this.run?.pipeline.lastUpdate;
    return update ? this.edits.apply(summariseClasses(update.classes)) : [];
  }

  private refreshLegend(): void {
    this.legend.update(this.legendClasses(), (id) => this.classColour(id), this.edits.names);
  }

  /** Called per pixel by the class modes: the scan ids of the segmenter's classes are looked up once per run. */
  private classColour(id: number): Rgb8 {
    return this.run ? discoveredColour(this.edits.mergedInto(id), this.run.scanIdOfClass) : knownColour(id);
  }

  private goToCamera(index: number): void {
    this.viewport.flyTo(index);
    this.panel.showCamera(index);
  }

  /** A display setting changed: redrawn from the same view (unless the camera must move first). */
  private viewChanged(): void {
    this.viewport.setFrustumsVisible(this.panel.view.frustums);
    const mode = this.panel.view.mode;
    if ((mode === 'ground-truth' || mode === 'error') && this.viewport.currentCamera < 0) this.goToCamera(this.viewport.nearestCamera());
    else this.display.draw();
  }

  /** The inspector for the clicked pixel of the shown view (x, y in 0..1 of the canvas). */
  private inspect(x: number, y: number): void {
    const shown = this.display.shown;
    const pipeline = this.run?.pipeline;
    if (!shown || !pipeline) return;
    const segmentation = shown.frame >= 0 ? (pipeline.segmentations?.[shown.frame] ?? null) : null;
    const probe = probePixel(shown.view, shown.camera, x, y, pipeline.scan.normalisation, segmentation);
    const names = pipeline.classNames;
    const cls = shown.classes ? shown.classes[probe.pixel]! : -1;
    const legend = this.legendClasses().find((c) => c.id === cls);
    // How the segment looks against the segmenter's training examples of the pixel's likeliest class.
    const distances = probe.segment !== null && probe.likeliest >= 0 ? pipeline.segmentClassDistances(shown.frame, probe.segment) : null;
    this.display.similarTo = probe.embedding;
    this.inspector.show({
      ...probe,
      ...(shown.frame >= 0 && { frame: pipeline.scan.frames[shown.frame]!.name }),
      probs: Array.from(probe.probs, (q, c) => ({ name: names[c]!, p: q, colour: this.classColour(c) })),
      appearance: distances ? { name: names[probe.likeliest]!, spreads: distances[probe.likeliest]! } : null,
      cluster: legend ? { name: legend.name, novel: !legend.known } : null,
    });
    if (this.display.similar) this.display.draw();
  }

  private async resetField(): Promise<void> {
    const run = this.run;
    if (!run) return;
    await run.pipeline.reset();
    if (run !== this.run) return;
    run.loop.restartCadence();
    this.charts.reset();
    this.status.setDiscovery('');
    this.refreshLegend();
    this.display.fieldReplaced();
  }

  private async export(what: ExportKind): Promise<void> {
    const run = this.run;
    if (!run) return;
    try {
      const file = await exportFile(what, run.pipeline, {
        mergedInto: this.edits.mergedInto,
        classes: this.legendClasses(),
        segmenterClasses: run.segmentation.classes,
        psnr: Number.isFinite(this.psnr) ? this.psnr : null,
        onProgress: (done, total) => this.status.show(`Exporting: labelling ${done}/${total}`),
      });
      download(file.name, file.bytes);
    } catch (e) {
      this.status.note(`Export failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Loads a checkpoint into the running field; a bad file is reported and changes nothing. */
  async resume(file: Blob & { name?: string }): Promise<void> {
    const run = this.run;
    if (!run) return;
    try {
      const { differences } = await run.pipeline.restore(new Uint8Array(await file.arrayBuffer()));
      run.loop.discoverSoon();
      this.display.fieldReplaced();
      this.status.note(
        `Resumed from ${file.name ?? 'checkpoint'} at step ${run.pipeline.steps}${differences.length ? ` (${differences.join('; ')})` : ''}`,
      );
    } catch (e) {
      this.status.note(`Could not resume from ${file.name ?? 'that file'}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
