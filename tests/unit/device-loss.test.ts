/**
 * A pipeline whose device is lost goes on on another: the field comes back exactly as its last
 * copy in memory had it (the same held-out PSNR to the last digit), discovery keeps its classes,
 * and training goes on there. The copy is taken, when the caller asks for copies (the viewer), at
 * the first slice and after every discovery update (and every half minute, which this test does
 * not wait for).
 */
import { describe, expect, it } from 'vitest';
import { decodeImageNode } from '../../src/cli/node-image-decoder.ts';
import { DiscoveryPipeline } from '../../src/pipeline/discovery-pipeline.ts';
import { DEFAULT_RUN_SETTINGS, withRunSettings } from '../../src/run/run-settings.ts';
import { loadScan } from '../../src/scan/load-scan.ts';
import { MemorySource } from '../../src/scan/scan-source.ts';
import { labelSegmentation } from '../helpers/label-segmentation.ts';
import { kernelTestTimeout, newTestGpu } from '../helpers/node-gpu.ts';
import { makeFixture } from '../helpers/scan-fixtures.ts';
import { tinyTrainerSettings } from '../helpers/tiny-trainer.ts';

describe('a pipeline on a lost device', { timeout: kernelTestTimeout(300_000) }, () => {
  it('moves to a new device with the field of its last copy, its classes, and trains on', async () => {
    const scan = await loadScan(new MemorySource('tiny', makeFixture(6, 48, 36, 5).files), { decodeImage: decodeImageNode });
    const first = await newTestGpu();
    const segmentation = labelSegmentation(scan);
    const settings = withRunSettings(DEFAULT_RUN_SETTINGS, { keyframes: 3, samplesPerSegment: 4 });
    const pipeline = DiscoveryPipeline.create(first, scan, segmentation, settings, {
      trainerSettings: tinyTrainerSettings(segmentation.classNames.length),
      keepCopies: true,
    });
    await pipeline.train(10, 5);
    expect(pipeline.lastCopy?.steps).toBe(10);
    await pipeline.train(10, 5);
    expect(pipeline.lastCopy?.steps).toBe(10);
    const update = await pipeline.discover();
    expect(pipeline.lastCopy?.steps).toBe(20);
    const atCopy = await pipeline.psnr();
    expect(atCopy.step).toBe(20);
    await pipeline.train(10, 5);
    expect(pipeline.steps).toBe(30);
    const trainedOn = await pipeline.psnr();

    // A headless run (no keepCopies) reads nothing back.
    const headless = DiscoveryPipeline.create(first, scan, segmentation, settings, {
      trainerSettings: tinyTrainerSettings(segmentation.classNames.length),
    });
    await headless.train(5, 5);
    expect(headless.lastCopy).toBeNull();
    await headless.destroy();

    first.device.destroy();
    await first.lost;
    const second = await newTestGpu();
    expect(await pipeline.moveTo(second)).toBe(20);
    expect(pipeline.steps).toBe(20);
    // The same parameters and occupancy grid: the same pixels scored the same.
    const moved = await pipeline.psnr();
    expect(moved.step).toBe(20);
    expect(moved.psnr).toBeCloseTo(atCopy.psnr, 4);
    expect(pipeline.lastUpdate).toBe(update);
    const losses = await pipeline.train(10, 5);
    expect(Number.isFinite(losses.psnr)).toBe(true);
    expect(pipeline.steps).toBe(30);
    // The same ten steps again from the copy (Adam's moments and step count with it): the field they give scores as the first time.
    const again = await pipeline.psnr();
    console.log(
      `[device-loss] steps 20-30: ${trainedOn.psnr.toFixed(4)} dB on the first device, ${again.psnr.toFixed(4)} again on the second`,
    );
    expect(again.psnr).toBeCloseTo(trainedOn.psnr, 1);
    await pipeline.destroy();
    second.device.destroy();
  });
});
