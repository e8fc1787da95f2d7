/**
 * Which onnxruntime-web execution provider runs the segmenter. On a software WebGPU adapter
 * (SwiftShader, llvmpipe, WARP) the wasm provider is ~50x faster than the WebGPU one (DeepLabV3
 * PASCAL VOC on SwiftShader: ~0.2 s against ~11 s a frame), so WebGPU is picked only on a
 * hardware adapter.
 * The caller may override the choice; the reason is kept so the page can show it.
 */
import type { AdapterSummary } from '../gpu/gpu-context.ts';

export type ExecutionProvider = 'wasm' | 'webgpu';

export interface ProviderChoice {
  provider: ExecutionProvider;
  reason: string;
}

export function chooseExecutionProvider(adapter: AdapterSummary | null, override?: ExecutionProvider): ProviderChoice {
  if (override) return { provider: override, reason: 'chosen by the caller' };
  if (!adapter) return { provider: 'wasm', reason: 'no WebGPU adapter' };
  if (adapter.software) return { provider: 'wasm', reason: 'software WebGPU adapter: wasm is much faster there' };
  return { provider: 'webgpu', reason: 'hardware WebGPU adapter' };
}

/**
 * wasm threads need SharedArrayBuffer, which needs cross-origin isolation (COOP/COEP headers;
 * the project's static server sends them). Without it, one thread. With it, onnxruntime's own
 * default: half the cores, at most 4 - the page's other workers (training, generation) need the
 * rest, and a 2-core machine gets 1.
 */
export function wasmThreads(isolated: boolean, cores: number): number {
  if (!isolated) return 1;
  return Math.max(1, Math.min(4, Math.floor((cores || 1) / 2)));
}
