/**
 * The lil-gui panel: training, discovery, view, export. The run's settings come with their labels
 * and ranges from run/run-settings.ts (the same the command line checks); the panel shows them
 * and reports what the user changed, and the viewer decides what a change means. The view's own
 * settings (mode, resolution, overlay...) are the viewer's alone and are defined here. (The page
 * adds the segmenter's folder, SegmenterPanel: model list, own file, execution provider.)
 */
import GUI, { type Controller } from 'lil-gui';
import type { ExportKind } from '../export/pipeline-exports.ts';
import { readRunSetting, RUN_SETTING_SPECS, type RunSettingKey, type RunSettings, type RunSettingsChanges } from '../run/run-settings.ts';
import { VIEW_MODES, type ViewMode } from './view-modes.ts';

export interface ViewSettings {
  mode: ViewMode;
  /** Largest share of the canvas's pixels the field is rendered at (the viewer adapts below it). */
  resolution: number;
  overlay: number;
  frustums: boolean;
  /** The training photo as an inset when the view is at a training camera. */
  photo: boolean;
}

export const DEFAULT_VIEW_SETTINGS: Readonly<ViewSettings> = { mode: 'rgb', resolution: 0.5, overlay: 1, frustums: true, photo: true };

export interface PanelActions {
  onToggleTraining(): void;
  onReset(): void;
  /** The user changed run settings (already within their ranges). */
  onRunSettings(changes: RunSettingsChanges): void;
  onDiscoverNow(): void;
  onViewChange(): void;
  /** Put the view at training camera `index` (as clicking its frustum does). */
  onGoToCamera(index: number): void;
  onPcaRefresh(): void;
  onExport(what: ExportKind): void;
  onResume(): void;
}

/** Settings whose change matters once the user lets go (a slider's drag would retrain at every pixel); the rest at once. */
const ON_FINISH: ReadonlySet<RunSettingKey> = new Set<RunSettingKey>([
  'learningRate',
  'klWeight',
  'discovery.inflation',
  'discovery.minClusterSize',
  'discovery.confidence',
]);

export class ControlPanel {
  readonly gui: GUI;
  readonly view: ViewSettings;
  /** What the controllers of run settings are bound to: a copy, refreshed by showRunSettings(). */
  private readonly run: RunSettings;
  private readonly runControllers: Controller[] = [];
  private readonly runButton: Controller;
  /** The training camera the view was last put at (by this field or a frustum click). */
  private readonly camera = { index: 0 };
  private readonly cameraIndex: Controller;

  constructor(container: HTMLElement, run: Readonly<RunSettings>, view: Readonly<ViewSettings>, actions: PanelActions) {
    this.run = structuredClone(run) as RunSettings;
    this.view = { ...view };
    const v = this.view;
    this.gui = new GUI({ container, title: 'NeurNCD', width: 260 });
    this.gui.domElement.dataset.testid = 'controls';

    const training = this.gui.addFolder('Training');
    const run$ = { toggle: () => actions.onToggleTraining(), reset: () => actions.onReset() };
    this.runButton = training.add(run$, 'toggle').name('Pause');
    this.runButton.domElement.dataset.testid = 'train-toggle';
    training.add(run$, 'reset').name('Reset field');
    this.addRunSetting(training, 'stepsPerSlice', actions);
    this.addRunSetting(training, 'learningRate', actions, 'learning-rate');
    this.addRunSetting(training, 'klWeight', actions);

    const discovery = this.gui.addFolder('Discovery');
    this.addRunSetting(discovery, 'discovery.algorithm', actions);
    this.addRunSetting(discovery, 'discovery.inflation', actions);
    this.addRunSetting(discovery, 'discovery.minClusterSize', actions);
    this.addRunSetting(discovery, 'discovery.confidence', actions);
    this.addRunSetting(discovery, 'discoverEvery', actions);
    this.addRunSetting(discovery, 'warmUpSteps', actions);
    discovery.add({ now: () => actions.onDiscoverNow() }, 'now').name('Discover now');

    const viewFolder = this.gui.addFolder('View');
    const modes = Object.fromEntries(VIEW_MODES.map((m) => [m.label, m.id]));
    const mode = viewFolder
      .add(v, 'mode', modes)
      .name('mode')
      .onChange(() => actions.onViewChange());
    mode.domElement.querySelector('select')?.setAttribute('data-testid', 'view-mode');
    viewFolder
      .add(v, 'resolution', 0.1, 1)
      .name('max resolution')
      .onFinishChange(() => actions.onViewChange());
    viewFolder
      .add(v, 'overlay', 0, 1)
      .name('overlay opacity')
      .onChange(() => actions.onViewChange());
    const cameras = viewFolder
      .add(v, 'frustums')
      .name('cameras')
      .onChange(() => actions.onViewChange());
    cameras.domElement.querySelector('input')?.setAttribute('data-testid', 'show-cameras');
    const photo = viewFolder
      .add(v, 'photo')
      .name('photo at a camera')
      .onChange(() => actions.onViewChange());
    photo.domElement.querySelector('input')?.setAttribute('data-testid', 'show-photo');
    this.cameraIndex = viewFolder
      .add(this.camera, 'index', 0, 0, 1)
      .name('training camera')
      .onFinishChange((i: number) => actions.onGoToCamera(i));
    this.cameraIndex.domElement.querySelector('input')?.setAttribute('data-testid', 'camera-index');
    viewFolder.add({ refresh: () => actions.onPcaRefresh() }, 'refresh').name('Refresh PCA');

    discovery.close();
    const exports = this.gui.addFolder('Export');
    exports.close();
    exports.$title.dataset.testid = 'export-folder';
    exports.add({ f: () => actions.onExport('labels') }, 'f').name('Label maps (.zip)');
    exports.add({ f: () => actions.onExport('ply') }, 'f').name('Point cloud (.ply)');
    exports.add({ f: () => actions.onExport('metrics') }, 'f').name('metrics.json');
    exports.add({ f: () => actions.onExport('checkpoint') }, 'f').name('Checkpoint');
    exports.add({ f: () => actions.onResume() }, 'f').name('Resume from checkpoint…');
  }

  /** A controller for one run setting, with its spec's label and range. */
  private addRunSetting(folder: GUI, key: RunSettingKey, actions: PanelActions, testid?: string): void {
    const spec = RUN_SETTING_SPECS[key];
    const [target, property] = key.startsWith('discovery.')
      ? [this.run.discovery as unknown as Record<string, unknown>, key.slice('discovery.'.length)]
      : [this.run as unknown as Record<string, unknown>, key];
    const changed = (value: unknown): void =>
      actions.onRunSettings(key.startsWith('discovery.') ? { discovery: { [property]: value } } : { [property]: value });
    let controller: Controller;
    if (spec.kind === 'choice') controller = folder.add(target, property, [...spec.choices]);
    else {
      const range = spec.slider ?? { min: spec.min, max: spec.max, step: spec.integer ? 1 : undefined };
      controller = folder.add(target, property, range.min, range.max, range.step);
    }
    controller.name(spec.label);
    if (ON_FINISH.has(key)) controller.onFinishChange(changed);
    else controller.onChange(changed);
    if (testid) controller.domElement.querySelector('input')?.setAttribute('data-testid', testid);
    this.runControllers.push(controller);
  }

  /** The run's settings as they are now (a roll-back halves the learning rate for the user). */
  showRunSettings(settings: Readonly<RunSettings>): void {
    for (const key of Object.keys(RUN_SETTING_SPECS) as RunSettingKey[]) {
      const value = readRunSetting(settings, key);
      if (key.startsWith('discovery.')) (this.run.discovery as unknown as Record<string, unknown>)[key.slice('discovery.'.length)] = value;
      else (this.run as unknown as Record<string, unknown>)[key] = value;
    }
    for (const c of this.runControllers) c.updateDisplay();
  }

  /** A new scan: its cameras are 0..count-1. */
  setCameraCount(count: number): void {
    this.cameraIndex.max(Math.max(0, count - 1));
    this.showCamera(0);
  }

  showCamera(index: number): void {
    this.camera.index = index;
    this.cameraIndex.updateDisplay();
  }

  setTraining(running: boolean): void {
    this.runButton.name(running ? 'Pause' : 'Start');
  }
}
