/**
 * One WebGPU adapter + device, and what the rest of the app needs to know about it.
 *
 * Works with the browser's `navigator.gpu` and with Dawn's `GPU` object in Node (tests), so
 * nothing here may touch the DOM. Knows nothing about NeRFs.
 */

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation such as SwiftShader: roughly 100x slower than a laptop GPU. */
  software: boolean;
}

export interface GpuContext {
  /**
   * Kept so the instance outlives its adapter and device: Dawn in Node tears the whole instance
   * down when this object is garbage-collected, even while the device is in use.
   */
  gpu: GPU;
  adapter: GPUAdapter;
  device: GPUDevice;
  summary: AdapterSummary;
  /** Resolves when the device is lost (driver reset, tab backgrounded too long, destroy()). */
  lost: Promise<GPUDeviceLostInfo>;
}

export class GpuUnavailableError extends Error {
  override name = 'GpuUnavailableError';
}

/** Limits the app asks for when the adapter has more than WebGPU's defaults. */
const WANTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxStorageBuffersPerShaderStage',
] as const;

const WANTED_FEATURES: GPUFeatureName[] = ['timestamp-query', 'subgroups', 'shader-f16'];

export function summarizeAdapter(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info;
  const architecture = info.architecture ?? '';
  // isFallbackAdapter moved from GPUAdapter to GPUAdapterInfo; read both.
  const fallback =
    (info as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false;
  const software =
    fallback || /swiftshader|llvmpipe|lavapipe|warp|software/i.test(`${info.vendor} ${architecture} ${info.device} ${info.description}`);
  return {
    vendor: info.vendor ?? '',
    architecture,
    device: info.device ?? '',
    description: info.description ?? '',
    software,
  };
}

export function describeAdapter(s: AdapterSummary): string {
  const name = [s.vendor, s.architecture, s.device, s.description].filter((x) => x !== '').join(' ');
  return `${name || 'unknown adapter'}${s.software ? ' (software)' : ''}`;
}

export async function createGpuContext(gpu: GPU | undefined, options: { powerPreference?: GPUPowerPreference } = {}): Promise<GpuContext> {
  if (!gpu) {
    throw new GpuUnavailableError('This browser has no WebGPU (navigator.gpu is missing).');
  }
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) {
    throw new GpuUnavailableError('WebGPU is present but no GPU adapter is available.');
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) {
    const value = adapter.limits[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  return { gpu, adapter, device, summary: summarizeAdapter(adapter), lost: device.lost };
}
