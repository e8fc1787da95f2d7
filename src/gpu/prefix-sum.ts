import dispatch from '../../shaders/dispatch.wgsl?raw';
import kernels from '../../shaders/prefix-sum.wgsl?raw';
import { createStorageBuffer, createUniformBuffer } from './buffer-io.ts';
import { PipelineCache, workgroupGrid } from './pipeline-cache.ts';
import { WgslStruct } from './uniform-layout.ts';
import { composeWgsl } from './wgsl-compose.ts';

const BLOCK = 1024;
const shader = composeWgsl('prefix-sum', { 'dispatch.wgsl': dispatch, 'prefix-sum.wgsl': kernels });
/** One level of the scan: its values and their blocks. */
export const PREFIX_SUM_PARAMS = new WgslStruct('prefix-sum.wgsl', 'Params', { n: 'u32', blocks: 'u32' });

interface Level {
  n: number;
  blocks: number;
  grid: [number, number];
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

  constructor(
    private readonly cache: PipelineCache,
    readonly length: number,
  ) {
    const device = cache.device;
    let n = length;
    do {
      const blocks = Math.max(1, Math.ceil(n / BLOCK));
      const grid = workgroupGrid(device, blocks);
      this.levels.push({
        n,
        blocks,
        grid,
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
    const device = this.cache.device;
    const scan = this.cache.compute('prefix-sum', shader, 'scan_blocks');
    const add = this.cache.compute('prefix-sum', shader, 'add_block_offsets');
    const groups = this.levels.map((level, i) => {
      const target = i === 0 ? data : this.levels[i - 1]!.sums;
      const entries = [
        { binding: 0, resource: { buffer: target } },
        { binding: 1, resource: { buffer: level.sums } },
        { binding: 2, resource: { buffer: level.params } },
      ];
      return {
        scan: device.createBindGroup({ layout: scan.getBindGroupLayout(0), entries }),
        add: device.createBindGroup({ layout: add.getBindGroupLayout(0), entries }),
      };
    });
    const pass = encoder.beginComputePass({ label: 'prefix-sum' });
    // Down the levels: each scans its values and leaves block totals for the next.
    this.levels.forEach((level, i) => {
      pass.setPipeline(scan);
      pass.setBindGroup(0, groups[i]!.scan);
      pass.dispatchWorkgroups(level.grid[0], level.grid[1]);
    });
    // Back up: the top level is a single block and already final.
    for (let i = this.levels.length - 2; i >= 0; i--) {
      const level = this.levels[i]!;
      pass.setPipeline(add);
      pass.setBindGroup(0, groups[i]!.add);
      pass.dispatchWorkgroups(level.grid[0], level.grid[1]);
    }
    pass.end();
  }

  destroy(): void {
    for (const level of this.levels) {
      level.sums.destroy();
      level.params.destroy();
    }
  }
}
