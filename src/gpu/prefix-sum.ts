import dispatch from '../../shaders/dispatch.wgsl?raw';
import kernels from '../../shaders/prefix-sum.wgsl?raw';
import { createStorageBuffer, createUniformBuffer } from './buffer-io.ts';
import { ComputeKernel } from './compute-kernel.ts';
import type { PipelineCache } from './pipeline-cache.ts';
import { WgslStruct } from './uniform-layout.ts';
import { composeWgsl } from './wgsl-compose.ts';

const BLOCK = 1024;
const shader = composeWgsl('prefix-sum', { 'dispatch.wgsl': dispatch, 'prefix-sum.wgsl': kernels });
/** One level of the scan: its values and their blocks. */
export const PREFIX_SUM_PARAMS = new WgslStruct('prefix-sum.wgsl', 'Params', { n: 'u32', blocks: 'u32' });

interface Level {
  n: number;
  blocks: number;
  sums: GPUBuffer;
  params: GPUBuffer;
}

/**
 * Exclusive prefix sum over a u32 storage buffer, in place. Used for stream compaction (which
 * samples survive the occupancy test, where each ray's samples start).
 *
 * Scratch buffers for one length are made once; encode() records the passes into a caller's
 * encoder so a scan never forces a submit of its own.
 */
export class PrefixSum {
  private readonly levels: Level[] = [];
  private readonly scan: ComputeKernel;
  private readonly add: ComputeKernel;

  constructor(
    cache: PipelineCache,
    readonly length: number,
  ) {
    const device = cache.device;
    this.scan = new ComputeKernel(cache, 'prefix-sum', shader, 'scan_blocks');
    this.add = new ComputeKernel(cache, 'prefix-sum', shader, 'add_block_offsets');
    let n = length;
    do {
      const blocks = Math.max(1, Math.ceil(n / BLOCK));
      this.levels.push({
        n,
        blocks,
        sums: createStorageBuffer(device, blocks * 4, `prefix-sum block sums (${n})`),
        params: createUniformBuffer(device, PREFIX_SUM_PARAMS.pack({ n, blocks }), `prefix-sum params (${n})`),
      });
      n = blocks;
    } while (n > 1);
  }

  encode(encoder: GPUCommandEncoder, data: GPUBuffer): void {
    if (data.size < this.length * 4) {
      throw new RangeError(`prefix sum over ${this.length} values needs ${this.length * 4} bytes, buffer has ${data.size}`);
    }
    const groups = this.levels.map((level, i) => {
      const buffers = { data: i === 0 ? data : this.levels[i - 1]!.sums, block_sums: level.sums, params: level.params };
      return { scan: this.scan.bind(buffers), add: this.add.bind(buffers) };
    });
    const pass = encoder.beginComputePass({ label: 'prefix-sum' });
    // Down the levels: each scans its values and leaves block totals for the next.
    this.levels.forEach((level, i) => this.scan.dispatch(pass, groups[i]!.scan, level.blocks));
    // Back up: the top level is a single block and already final.
    for (let i = this.levels.length - 2; i >= 0; i--) this.add.dispatch(pass, groups[i]!.add, this.levels[i]!.blocks);
    pass.end();
  }

  destroy(): void {
    for (const level of this.levels) {
      level.sums.destroy();
      level.params.destroy();
    }
  }
}
