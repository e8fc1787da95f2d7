import { createAutomationApi } from './automation/automation-api.ts';
import { ScanSession } from './scan/scan-session.ts';
import { createGpuContext, describeAdapter, type GpuContext } from './gpu/gpu-context.ts';
import { FORMAT_LABELS } from './scan/scan.ts';
import { createDropZone } from './viewer/drop-zone.ts';
import { showNoWebGpu, showNotice } from './viewer/notice.ts';
import { ScanPanel } from './viewer/scan-panel.ts';
import { SegmenterPanel } from './viewer/segmenter-panel.ts';
import { FieldAutosave } from './viewer/field-autosave.ts';
import { isDemoScan, ViewerApp } from './viewer/viewer-app.ts';
import { Segmenter } from './segment/segmenter.ts';

const app = document.getElementById('app')!;
const status = document.querySelector<HTMLElement>('[data-testid="status"]')!;

let context: GpuContext | null = null;
let gpuError: string | null = null;
const losses: GPUDeviceLostInfo[] = [];
let session: ScanSession | null = null;
let viewer: ViewerApp | null = null;
/** `?live=off`: scripts and tests drive the page through window.neurncd; nothing starts by itself. */
const live = new URLSearchParams(location.search).get('live') !== 'off';
// One segmenter for the page: the panel and the automation API share it (and its frame cache).
let segmenter: Segmenter | null = null;
const getSegmenter = (): Segmenter => (segmenter ??= new Segmenter(() => context?.summary ?? null));

function startScanUi(ctx: GpuContext): void {
  const panel = new ScanPanel();
  const ready = `Ready on ${describeAdapter(ctx.summary)}`;
  session = new ScanSession({
    onProgress: (name, done, total) => {
      status.textContent = `Loading ${name}: ${done}/${total} frames`;
    },
    onLoaded: (scan) => {
      panel.showError(null);
      panel.showScan(scan);
      // A scan the user gave replaces the autosave (or goes on from it).
      if (!isDemoScan(scan)) panel.showAutosave(null);
      status.textContent = `Loaded ${scan.sourceName}: ${FORMAT_LABELS[scan.format]}, ${scan.frames.length} frames`;
      void viewer?.start(scan);
    },
    onError: (message) => {
      panel.showError(message);
      const current = session?.current;
      status.textContent = current ? `Could not load that scan; still showing ${current.sourceName}` : `Could not load that scan. ${ready}`;
    },
  });
  const zone = createDropZone({
    onInput: (input) => {
      viewer?.stopDemo();
      void session!.load(input);
    },
    onBackgroundChange: (rgb) => {
      session!.background = rgb;
    },
    background: session.background,
  });
  const side = document.createElement('aside');
  side.className = 'side-panel';
  side.append(zone, panel.element);
  if (!live) {
    new SegmenterPanel(getSegmenter(), { container: side });
    app.replaceChildren(side);
    return;
  }
  void new FieldAutosave().read().then((saved) => panel.showAutosave(saved?.record ?? null));
  const viewport = document.createElement('div');
  viewport.className = 'viewport';
  app.classList.add('viewer');
  app.replaceChildren(viewport, side);
  const shown = new ViewerApp({ viewport, side, status }, ctx, session, getSegmenter());
  viewer = shown;
  void shown.startDemo();
}

async function boot(): Promise<void> {
  try {
    context = await createGpuContext(navigator.gpu);
  } catch (e) {
    gpuError = e instanceof Error ? e.message : String(e);
    status.textContent = 'No WebGPU';
    showNoWebGpu(app, gpuError);
    return;
  }
  status.textContent = `Ready on ${describeAdapter(context.summary)}`;
  startScanUi(context);
  watchForLoss(context);
}

/**
 * A lost device (a driver reset, a GPU process crash, destroy()) costs no more than the steps since
 * the field's last copy: a new device is asked for and the viewer goes on there. Only when none
 * can be had does the page say to reload.
 */
function watchForLoss(lostOne: GpuContext): void {
  void lostOne.lost.then(async (info) => {
    if (context !== lostOne) return;
    losses.push(info);
    viewer?.onDeviceLost(info);
    try {
      context = await createGpuContext(navigator.gpu);
    } catch (e) {
      gpuError = `The GPU device was lost (${info.message || info.reason}) and no new one could be had: ${e instanceof Error ? e.message : String(e)}`;
      status.textContent = 'GPU lost';
      showNotice(app, 'The GPU device was lost', [gpuError, 'Reload the page to start again.']);
      return;
    }
    watchForLoss(context);
    await viewer?.continueOn(context, info);
  });
}

window.neurncd = createAutomationApi({
  ready: boot(),
  context: () => context,
  error: () => gpuError,
  losses: () => losses,
  session: () => session,
  live: () => viewer,
  segmenter: getSegmenter,
});
