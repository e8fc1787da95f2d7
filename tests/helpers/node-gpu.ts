/**
 * The GPU for Node tests: Dawn (the `webgpu` package) on whatever Vulkan driver is present,
 * SwiftShader when the machine has no GPU, or Mesa's lavapipe when NEURNCD_VULKAN_DRIVER=lavapipe
 * (the unit-lavapipe project: a second, independent implementation). Every kernel test gets its
 * device from here.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGpuContext, describeAdapter, type GpuContext } from '../../src/gpu/gpu-context.ts';
import { LAVAPIPE_ICD, LAVAPIPE_TEST_TIMEOUT_MS } from '../../tools/lavapipe.mjs';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** The Vulkan driver the tests were asked for: `lavapipe`, or undefined for the machine's own. */
function requestedVulkanDriver(): 'lavapipe' | undefined {
  const driver = process.env.NEURNCD_VULKAN_DRIVER;
  if (driver === undefined || driver === '') return undefined;
  if (driver !== 'lavapipe') throw new Error(`NEURNCD_VULKAN_DRIVER=${driver}: the only driver that can be asked for is lavapipe`);
  return driver;
}

/**
 * A time limit for a kernel test that sets its own: `ms`, or on lavapipe at least the
 * unit-lavapipe project's limit, since the test that first meets a pipeline there pays for
 * compiling it (vite.config.ts).
 */
export function kernelTestTimeout(ms: number): number {
  return requestedVulkanDriver() === 'lavapipe' ? Math.max(ms, LAVAPIPE_TEST_TIMEOUT_MS) : ms;
}

let context: Promise<GpuContext> | undefined;

function prepareVulkanEnvironment(): void {
  if (requestedVulkanDriver() === 'lavapipe') {
    if (!existsSync(LAVAPIPE_ICD)) {
      throw new Error(`NEURNCD_VULKAN_DRIVER=lavapipe but there is no lavapipe at ${LAVAPIPE_ICD}: run node tools/setup.mjs --browser`);
    }
    process.env.VK_ICD_FILENAMES = LAVAPIPE_ICD;
  }
  // Without a render node there is no hardware Vulkan driver to find; point the loader at the
  // SwiftShader build that Debian's chromium ships. An explicit VK_ICD_FILENAMES wins.
  const hasGpu = existsSync('/dev/dri/renderD128') || existsSync('/dev/nvidia0');
  if (!process.env.VK_ICD_FILENAMES && !hasGpu) {
    if (!existsSync(SWIFTSHADER_ICD)) {
      throw new Error(`No GPU and no SwiftShader at ${SWIFTSHADER_ICD}: install Debian's chromium (apt-get install chromium)`);
    }
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  if (!process.env.XDG_RUNTIME_DIR) {
    process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'neurncd-xdg-'));
  }
}

/** One device per test process, created on first use; the adapter is printed once. */
export function getTestGpu(): Promise<GpuContext> {
  context ??= (async () => {
    prepareVulkanEnvironment();
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    const gpu = create([]) as unknown as GPU;
    const ctx = await createGpuContext(gpu).catch((e: unknown) => {
      throw new Error(
        `Dawn found no usable adapter on ${process.env.VK_ICD_FILENAMES ?? 'the system Vulkan drivers'} (is libvulkan1 installed?): ${String(e)}`,
      );
    });
    ctx.device.addEventListener('uncapturederror', (event) => {
      console.error('WebGPU error:', (event as GPUUncapturedErrorEvent).error.message);
    });
    console.log(`[node-gpu] adapter: ${describeAdapter(ctx.summary)}`);
    return ctx;
  })();
  return context;
}

/** A device of its own (not the shared one), for a test that destroys it. */
export async function newTestGpu(): Promise<GpuContext> {
  await getTestGpu();
  const { create } = await import('webgpu');
  return createGpuContext(create([]) as unknown as GPU);
}

/** Runs `body` and fails with the validation message if it produced any WebGPU error. */
export async function expectNoGpuErrors<T>(device: GPUDevice, body: () => Promise<T>): Promise<T> {
  device.pushErrorScope('validation');
  device.pushErrorScope('out-of-memory');
  const result = await body();
  const oom = await device.popErrorScope();
  const validation = await device.popErrorScope();
  const error = validation ?? oom;
  if (error) throw new Error(`WebGPU error: ${error.message}`);
  return result;
}
