import { describe, expect, it } from 'vitest';
import { OccupancyGrid } from '../../src/field/occupancy-grid.ts';
import { readBuffer, uploadBuffer } from '../../src/gpu/buffer-io.ts';
import { PipelineCache } from '../../src/gpu/pipeline-cache.ts';
import { expectNoGpuErrors, getTestGpu } from '../helpers/node-gpu.ts';

const RES = 16;
const settings = { res: RES, cellsPerUpdate: 1000, decay: 0.5, threshold: 0.01, step: 0.01 };

/** A ball of density 100 (raw = ln 100) of radius 0.3 around the cube's centre; nearly empty outside. */
const rawAt = (x: number, y: number, z: number): number => (Math.hypot(x - 0.5, y - 0.5, z - 0.5) < 0.3 ? Math.log(100) : Math.log(1e-3));

async function sweep(grid: OccupancyGrid, device: GPUDevice, raw: (x: number, y: number, z: number) => number): Promise<void> {
  const updates = Math.ceil(grid.cells / settings.cellsPerUpdate);
  for (let u = 0; u < updates; u++) {
    const encoder = device.createCommandEncoder();
    grid.beginUpdate(encoder);
    device.queue.submit([encoder.finish()]);
    const p = new Float32Array(await readBuffer(device, grid.points, settings.cellsPerUpdate * 12));
    const values = Float32Array.from({ length: settings.cellsPerUpdate }, (_, i) => raw(p[i * 3]!, p[i * 3 + 1]!, p[i * 3 + 2]!));
    const rawBuffer = uploadBuffer(device, values, 'raw density');
    const e2 = device.createCommandEncoder();
    grid.finishUpdate(e2, rawBuffer);
    device.queue.submit([e2.finish()]);
  }
}

describe('occupancy grid (WGSL)', () => {
  it('visits every cell at a point inside it, marks the occupied ones, and decays the rest', async () => {
    const { device } = await getTestGpu();
    await expectNoGpuErrors(device, async () => {
      const grid = new OccupancyGrid(new PipelineCache(device), settings);
      // Before any update everything is occupied: nothing is skipped before the field is known.
      expect(new Uint32Array(await readBuffer(device, grid.bits)).every((w) => w === 0xffffffff)).toBe(true);

      // Points of the first update lie in the cells they stand for.
      const e = device.createCommandEncoder();
      grid.beginUpdate(e);
      device.queue.submit([e.finish()]);
      const p = new Float32Array(await readBuffer(device, grid.points, settings.cellsPerUpdate * 12));
      for (let i = 0; i < settings.cellsPerUpdate; i++) {
        const cell = [i % RES, Math.floor(i / RES) % RES, Math.floor(i / RES ** 2)];
        for (let a = 0; a < 3; a++) expect(Math.floor(p[i * 3 + a]! * RES)).toBe(cell[a]);
      }
      // A first update of high density everywhere it visits: until the sweep is complete, nothing is skipped.
      const dense = uploadBuffer(device, new Float32Array(settings.cellsPerUpdate).fill(Math.log(1e4)), 'raw');
      const e2 = device.createCommandEncoder();
      grid.finishUpdate(e2, dense);
      device.queue.submit([e2.finish()]);
      expect(new Uint32Array(await readBuffer(device, grid.bits)).every((w) => w === 0xffffffff)).toBe(true);

      // The rest of the sweep and more: the early high values decay (0.5 per visit) below the threshold.
      for (let i = 0; i < 12; i++) await sweep(grid, device, rawAt);
      const density = new Float32Array(await readBuffer(device, grid.density));
      const bits = new Uint32Array(await readBuffer(device, grid.bits));
      let inside = 0;
      let outside = 0;
      for (let c = 0; c < grid.cells; c++) {
        const centre = [(c % RES) + 0.5, (Math.floor(c / RES) % RES) + 0.5, Math.floor(c / RES ** 2) + 0.5].map((v) => v / RES);
        const r = Math.hypot(centre[0]! - 0.5, centre[1]! - 0.5, centre[2]! - 0.5);
        const occupied = (bits[c >> 5]! >>> (c & 31)) & 1;
        // Cells wholly inside or outside the ball (half a diagonal away from its surface).
        if (r < 0.3 - 0.055) {
          expect(occupied, `cell ${c} inside`).toBe(1);
          expect(density[c]).toBeCloseTo(100, 3);
          inside++;
        } else if (r > 0.3 + 0.055) {
          expect(occupied, `cell ${c} outside`).toBe(0);
          outside++;
        }
      }
      expect(inside).toBeGreaterThan(50);
      expect(outside).toBeGreaterThan(2000);
    });
  });
  it('caps the threshold at the mean, so a young, foggy field keeps its denser cells', async () => {
    const { device } = await getTestGpu();
    await expectNoGpuErrors(device, async () => {
      const grid = new OccupancyGrid(new PipelineCache(device), settings);
      // Every step below the threshold (density x step = 0.002 and 0.006 < 0.01); the ball is the denser part.
      await sweep(grid, device, (x, y, z) => Math.log(Math.hypot(x - 0.5, y - 0.5, z - 0.5) < 0.3 ? 0.6 : 0.2));
      const bits = new Uint32Array(await readBuffer(device, grid.bits));
      const density = new Float32Array(await readBuffer(device, grid.density));
      const mean = density.reduce((s, d) => s + d * settings.step, 0) / grid.cells;
      let wrong = 0;
      let occupied = 0;
      for (let c = 0; c < grid.cells; c++) {
        const bit = (bits[c >> 5]! >>> (c & 31)) & 1;
        occupied += bit;
        if (bit !== (density[c]! * settings.step > Math.min(settings.threshold, mean) ? 1 : 0)) wrong++;
      }
      expect(mean).toBeLessThan(settings.threshold);
      expect(wrong).toBe(0);
      // The ball (about 11% of the cube) is kept, the thinner fog around it is not.
      expect(occupied / grid.cells).toBeGreaterThan(0.08);
      expect(occupied / grid.cells).toBeLessThan(0.2);
    });
  });
});
