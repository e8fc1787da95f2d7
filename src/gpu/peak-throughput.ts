/**
 * The adapter's measured arithmetic peak (GFLOP/s), the yardstick for the kernels' efficiency:
 * shaders/fma-peak.wgsl in each of its forms, grown until one dispatch takes long enough to time,
 * best of a few runs. The peak is the fastest form.
 */
import shader from '../../shaders/fma-peak.wgsl?raw';
import { createStorageBuffer } from './buffer-io.ts';
import { ComputeKernel } from './compute-kernel.ts';
import { PassTimer } from './pass-timer.ts';
import type { PipelineCache } from './pipeline-cache.ts';

export interface PeakMeasurement {
  gflops: number;
  /** GFLOP/s of each form. */
  forms: Record<string, number>;
  timing: 'timestamp queries' | 'wall clock';
}

const FORMS = [
  { name: 'vec4 fma', entry: 'vec4_fma', iterations: 1024, flopsPerIteration: 32 },
  { name: 'mat4x4 x vec4', entry: 'mat4_vec4', iterations: 1024, flopsPerIteration: 4 * 32 },
  { name: 'mat4x4 x mat4x4', entry: 'mat4_mat4', iterations: 256, flopsPerIteration: 8 * 128 + 16 },
] as const;

const THREADS_PER_GROUP = 64;
const MIN_MS = 40;

export async function measurePeakGflops(cache: PipelineCache, options: { runs?: number } = {}): Promise<PeakMeasurement> {
  const device = cache.device;
  const timer = PassTimer.create(device);
  const sink = createStorageBuffer(device, THREADS_PER_GROUP * 65535 * 16, 'peak sink');
  const maxGroups = device.limits.maxComputeWorkgroupsPerDimension;
  const forms: Record<string, number> = {};
  const time = async (kernel: ComputeKernel, bind: GPUBindGroup, groups: number): Promise<number> => {
    const encoder = device.createCommandEncoder({ label: 'peak' });
    const pass = encoder.beginComputePass(timer ? { label: 'peak', timestampWrites: timer.pass('peak') } : { label: 'peak' });
    kernel.dispatch(pass, bind, groups);
    pass.end();
    const started = performance.now();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    const wall = performance.now() - started;
    return timer ? ((await timer.collect()).get('peak') ?? wall) : wall;
  };
  try {
    for (const form of FORMS) {
      const kernel = new ComputeKernel(cache, 'fma-peak', shader, form.entry, { ITERATIONS: form.iterations });
      const bind = kernel.bind({ sink });
      // Untimed: a driver may build the pipeline at its first dispatch, inside the timed pass
      // (lavapipe does; its first dispatch of all also starts its threads), and a form timed from
      // there would read ~0.05 GFLOP/s and never grow past its first size.
      await time(kernel, bind, 1);
      let groups = 16;
      let ms = await time(kernel, bind, groups);
      while (ms < MIN_MS && groups < maxGroups) {
        groups = Math.min(maxGroups, groups * Math.max(2, Math.ceil(MIN_MS / Math.max(ms, 0.05))));
        ms = await time(kernel, bind, groups);
      }
      for (let r = 1; r < (options.runs ?? 3); r++) ms = Math.min(ms, await time(kernel, bind, groups));
      const flops = groups * THREADS_PER_GROUP * form.iterations * form.flopsPerIteration;
      forms[form.name] = flops / ms / 1e6;
    }
  } finally {
    sink.destroy();
    timer?.destroy();
  }
  return { gflops: Math.max(...Object.values(forms)), forms, timing: timer ? 'timestamp queries' : 'wall clock' };
}
