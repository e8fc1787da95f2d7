import { createAutomationApi } from './app/automation-api.ts';
import { createGpuContext, describeAdapter, type GpuContext } from './gpu/gpu-context.ts';
import { showNoWebGpu, showNotice } from './viewer/notice.ts';

const app = document.getElementById('app')!;
const status = document.querySelector<HTMLElement>('[data-testid="status"]')!;

let context: GpuContext | null = null;
let gpuError: string | null = null;

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
  void context.lost.then((info) => {
    if (info.reason === 'destroyed') return;
    gpuError = `The GPU device was lost: ${info.message || info.reason}`;
    status.textContent = 'GPU lost';
    showNotice(app, 'The GPU device was lost', [gpuError, 'Reload the page to start again.']);
  });
}

window.neurncd = createAutomationApi({
  ready: boot(),
  context: () => context,
  error: () => gpuError,
});
