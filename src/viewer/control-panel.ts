/**
 * The lil-gui panel: training, discovery, view, export. It holds the values the user sets and
 * calls back on change; the viewer decides what a change means. (The page adds the segmenter's
 * folder, SegmenterPanel: model list, own file, execution provider.)
 */
import GUI from 'lil-gui';
import { DEFAULT_DISCOVERY, type ClusteringAlgorithm } from '../discover/class-discovery.ts';
import { VIEW_MODES, type ViewMode } from './view-modes.ts';

export interface PanelValues {
  training: boolean;
  stepsPerFrame: number;
  learningRate: number;
  klWeight: number;
  algorithm: ClusteringAlgorithm;
  inflation: number;
  minClusterSize: number;
  discoverEvery: number;
  confidence: number;
  mode: ViewMode;
  /** Largest share of the canvas's pixels the field is rendered at (the viewer adapts below it). */
  resolution: number;
  overlay: number;
  frustums: boolean;
  /** The training photo as an inset when the view is at a training camera. */
  photo: boolean;
}

export interface PanelActions {
  onReset(): void;
  onLearningRate(lr: number): void;
  onKlWeight(lambda: number): void;
  onDiscoverySettings(): void;
  onDiscoverNow(): void;
  onViewChange(): void;
  /** Put the view at training camera `index` (as clicking its frustum does). */
  onGoToCamera(index: number): void;
  onPcaRefresh(): void;
  onExport(what: 'labels' | 'ply' | 'metrics' | 'checkpoint'): void;
  onResume(): void;
}

export class ControlPanel {
  readonly gui: GUI;
  readonly values: PanelValues;

  constructor(container: HTMLElement, initial: PanelValues, actions: PanelActions) {
    this.values = { ...initial };
    const v = this.values;
    this.gui = new GUI({ container, title: 'NeurNCD', width: 260 });
    this.gui.domElement.dataset.testid = 'controls';

    const training = this.gui.addFolder('Training');
    const run = { toggle: () => this.setTraining(!v.training), reset: () => actions.onReset() };
    this.runButton = training.add(run, 'toggle').name(v.training ? 'Pause' : 'Start');
    this.runButton.domElement.dataset.testid = 'train-toggle';
    training.add(run, 'reset').name('Reset field');
    training.add(v, 'stepsPerFrame', 1, 64, 1).name('steps per frame');
    this.learningRate = training
      .add(v, 'learningRate', 1e-4, 5e-2)
      .name('learning rate')
      .onFinishChange((lr: number) => actions.onLearningRate(lr));
    this.learningRate.domElement.querySelector('input')?.setAttribute('data-testid', 'learning-rate');
    training
      .add(v, 'klWeight', 0, 1)
      .name('λ (KL term)')
      .onFinishChange((w: number) => actions.onKlWeight(w));

    const discovery = this.gui.addFolder('Discovery');
    discovery
      .add(v, 'algorithm', ['hdbscan', 'mcl'])
      .name('algorithm')
      .onChange(() => actions.onDiscoverySettings());
    discovery
      .add(v, 'inflation', 1.2, 20)
      .name('MCL inflation')
      .onFinishChange(() => actions.onDiscoverySettings());
    discovery
      .add(v, 'minClusterSize', 2, 64, 1)
      .name('HDBSCAN min cluster')
      .onFinishChange(() => actions.onDiscoverySettings());
    discovery
      .add(v, 'confidence', 0.1, 1)
      .name('confidence')
      .onFinishChange(() => actions.onDiscoverySettings());
    discovery.add(v, 'discoverEvery', 10, 2000, 10).name('update every (steps)');
    discovery.add({ now: () => actions.onDiscoverNow() }, 'now').name('Discover now');

    const view = this.gui.addFolder('View');
    const modes = Object.fromEntries(VIEW_MODES.map((m) => [m.label, m.id]));
    const mode = view
      .add(v, 'mode', modes)
      .name('mode')
      .onChange(() => actions.onViewChange());
    mode.domElement.querySelector('select')?.setAttribute('data-testid', 'view-mode');
    view
      .add(v, 'resolution', 0.1, 1)
      .name('max resolution')
      .onFinishChange(() => actions.onViewChange());
    view
      .add(v, 'overlay', 0, 1)
      .name('overlay opacity')
      .onChange(() => actions.onViewChange());
    const cameras = view
      .add(v, 'frustums')
      .name('cameras')
      .onChange(() => actions.onViewChange());
    cameras.domElement.querySelector('input')?.setAttribute('data-testid', 'show-cameras');
    const photo = view
      .add(v, 'photo')
      .name('photo at a camera')
      .onChange(() => actions.onViewChange());
    photo.domElement.querySelector('input')?.setAttribute('data-testid', 'show-photo');
    this.cameraIndex = view
      .add(this.camera, 'index', 0, 0, 1)
      .name('training camera')
      .onFinishChange((i: number) => actions.onGoToCamera(i));
    this.cameraIndex.domElement.querySelector('input')?.setAttribute('data-testid', 'camera-index');
    view.add({ refresh: () => actions.onPcaRefresh() }, 'refresh').name('Refresh PCA');

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

  private readonly runButton;
  private readonly learningRate;
  /** The training camera the view was last put at (by this field or a frustum click). */
  private readonly camera = { index: 0 };
  private readonly cameraIndex;

  /** A new scan: its cameras are 0..count-1. */
  setCameraCount(count: number): void {
    this.cameraIndex.max(Math.max(0, count - 1));
    this.showCamera(0);
  }

  showCamera(index: number): void {
    this.camera.index = index;
    this.cameraIndex.updateDisplay();
  }

  /** The learning rate was changed for the user (a roll-back after a divergence halves it). */
  setLearningRate(lr: number): void {
    this.values.learningRate = lr;
    this.learningRate.updateDisplay();
  }

  setTraining(running: boolean): void {
    this.values.training = running;
    this.runButton.name(running ? 'Pause' : 'Start');
  }
}

export const DEFAULT_PANEL: PanelValues = {
  training: true,
  stepsPerFrame: 4,
  learningRate: 1e-2,
  klWeight: 0.04,
  algorithm: DEFAULT_DISCOVERY.algorithm,
  inflation: DEFAULT_DISCOVERY.inflation,
  minClusterSize: DEFAULT_DISCOVERY.minClusterSize,
  discoverEvery: 100,
  confidence: DEFAULT_DISCOVERY.confidence,
  mode: 'rgb',
  resolution: 0.5,
  overlay: 1,
  frustums: true,
  photo: true,
};
