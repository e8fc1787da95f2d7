/**
 * The run loop on a real pipeline (a tiny generated room, a tiny field on Dawn, supervision from
 * the room's labels): discovery comes at exactly every N steps whatever the slice length, a
 * divergence rolls the field back to its last snapshot with half the learning rate (the viewer's
 * policy pauses there, the command line's gives up after three), pause holds the field still
 * while the page goes on, and stop ends the run at the next turn.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImageNode } from '../../src/cli/node-image-decoder.ts';
import { DiscoveryPipeline, TrainingDivergedError } from '../../src/pipeline/discovery-pipeline.ts';
import { headlessPolicy, LIVE_POLICY, RunLoop, type RunEvent } from '../../src/run/run-loop.ts';
import { DEFAULT_RUN_SETTINGS, withRunSettings, type RunSettingsChanges } from '../../src/run/run-settings.ts';
import { loadScan } from '../../src/scan/load-scan.ts';
import { MemorySource } from '../../src/scan/scan-source.ts';
import type { Scan } from '../../src/scan/scan.ts';
import { labelSegmentation } from '../helpers/label-segmentation.ts';
import { getTestGpu } from '../helpers/node-gpu.ts';
import { makeFixture } from '../helpers/scan-fixtures.ts';
import { tinyTrainerSettings } from '../helpers/tiny-trainer.ts';

let scan: Scan;
const pipelines: DiscoveryPipeline[] = [];

beforeAll(async () => {
  scan = await loadScan(new MemorySource('tiny', makeFixture(6, 48, 36, 5).files), { decodeImage: decodeImageNode });
});

afterAll(async () => {
  for (const p of pipelines) await p.destroy();
});

async function pipelineWith(changes: RunSettingsChanges) {
  const ctx = await getTestGpu();
  const settings = withRunSettings(DEFAULT_RUN_SETTINGS, { keyframes: 3, samplesPerSegment: 4, ...changes });
  const segmentation = labelSegmentation(scan);
  const pipeline = DiscoveryPipeline.create(ctx, scan, segmentation, settings, {
    trainerSettings: tinyTrainerSettings(segmentation.classNames.length),
  });
  pipelines.push(pipeline);
  return { pipeline, settings };
}

/** No warm-up: discovery may come from the first step on (the warm-up has its own test below). */
const NO_WARM_UP = { minSteps: 0, maxSteps: 0, window: 1, flatFall: 1, smoothing: 1 };

const ofType = <T extends RunEvent['type']>(events: RunEvent[], type: T) =>
  events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === type);

describe('the run loop', () => {
  it('discovers at every N steps and once at the end, slices ending at each discovery step', async () => {
    const { pipeline, settings } = await pipelineWith({ steps: 40, stepsPerSlice: 5, discoverEvery: 12 });
    const events: RunEvent[] = [];
    const end = await new RunLoop(pipeline, settings, { ...headlessPolicy(settings), warmUp: NO_WARM_UP }, (e) => events.push(e)).run();
    expect(end).toBe('finished');
    expect(pipeline.steps).toBe(40);
    expect(ofType(events, 'discovered').map((e) => e.step)).toEqual([12, 24, 36, 40]);
    expect(ofType(events, 'trained').map((e) => e.step)).toEqual([5, 10, 12, 17, 22, 24, 29, 34, 36, 40]);
    // Pre-segmentation ran once, before the first update, frame by frame.
    expect(ofType(events, 'pre-segmenting').map((e) => e.done)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(events.findIndex((e) => e.type === 'pre-segmenting')).toBeLessThan(events.findIndex((e) => e.type === 'discovered'));
    // Ids carry over: every update's classes are numbered from the same ones.
    const updates = ofType(events, 'discovered').map((e) => e.update);
    expect(updates.map((u) => u.update)).toEqual([0, 1, 2, 3]);
    for (const e of ofType(events, 'trained')) expect(Number.isFinite(e.losses.psnr)).toBe(true);
  });

  it('rolls a diverged field back to its last snapshot with half the learning rate, and pauses (the viewer)', async () => {
    const { pipeline, settings } = await pipelineWith({ discoverEvery: 1000 });
    const events: RunEvent[] = [];
    let turns = 0;
    const loop = new RunLoop(
      pipeline,
      settings,
      { ...LIVE_POLICY, until: 40 },
      (e) => {
        events.push(e);
        // A step far too large (parameters overflow within a few steps), once the first snapshot
        // (after the first slice, step 4) exists.
        if (e.type === 'trained' && e.step === 12 && !ofType(events, 'rolled-back').length) pipeline.setLearningRate(1e38);
      },
      async () => {
        turns++;
        // Paused after the roll-back: a few turns with the field still, then the user goes on.
        if (!loop.training && turns > 3 && ofType(events, 'rolled-back').length === 1) {
          expect(pipeline.steps).toBe(4);
          loop.configure({ learningRate: 1e-2 });
          loop.resume();
        }
        await new Promise((r) => setTimeout(r, 0));
      },
    );
    const end = await loop.run();
    expect(end).toBe('finished');
    const [rolled] = ofType(events, 'rolled-back');
    expect(rolled).toBeDefined();
    expect(rolled!.error).toBeInstanceOf(TrainingDivergedError);
    expect(rolled!.step).toBe(4);
    expect(rolled!.learningRate).toBe(5e37);
    expect(ofType(events, 'training').map((e) => e.running)).toEqual([false, true]);
    // After the roll-back the field trains from step 4 again, soundly, to the end.
    const after = ofType(events, 'trained').filter((e) => events.indexOf(e) > events.indexOf(rolled!));
    expect(after[0]!.step).toBe(8);
    expect(after.at(-1)!.step).toBe(40);
    expect(after.every((e) => Number.isFinite(e.losses.psnr))).toBe(true);
    expect(pipeline.learningRate).toBe(1e-2);
  });

  it('gives up after three roll-backs without a pause (the command line)', async () => {
    const { pipeline, settings } = await pipelineWith({ steps: 200, discoverEvery: 1000 });
    const events: RunEvent[] = [];
    const loop = new RunLoop(pipeline, settings, headlessPolicy(settings), (e) => {
      events.push(e);
      if (e.type === 'trained' && e.step === 8) pipeline.setLearningRate(1e38);
    });
    await expect(loop.run()).rejects.toBeInstanceOf(TrainingDivergedError);
    const rolled = ofType(events, 'rolled-back');
    expect(rolled.map((e) => e.rollBacks)).toEqual([1, 2, 3]);
    expect(rolled.map((e) => e.learningRate)).toEqual([5e37, 2.5e37, 1.25e37]);
    expect(ofType(events, 'training')).toEqual([]);
  });

  it('holds the field still while paused, discovers when asked even then, and stops at the next turn', async () => {
    const { pipeline, settings } = await pipelineWith({ discoverEvery: 1000 });
    const events: RunEvent[] = [];
    const stepsWhilePaused: number[] = [];
    let turns = 0;
    const loop = new RunLoop(
      pipeline,
      settings,
      LIVE_POLICY,
      (e) => events.push(e),
      async () => {
        turns++;
        if (turns === 3) loop.pause();
        if (!loop.training) stepsWhilePaused.push(pipeline.steps);
        if (turns === 6) loop.discoverSoon();
        if (turns === 9) loop.resume();
        if (turns === 12) loop.stop();
        await new Promise((r) => setTimeout(r, 0));
      },
    );
    const end = await loop.run();
    expect(end).toBe('stopped');
    expect(stepsWhilePaused.length).toBe(7);
    expect(new Set(stepsWhilePaused)).toEqual(new Set([12]));
    expect(ofType(events, 'discovered').map((e) => e.step)).toEqual([12]);
    expect(pipeline.steps).toBe(24);
    expect(() => loop.configure({ stepsPerSlice: 0 })).toThrow(/stepsPerSlice must be from 1 to 64, got 0/);
    expect(loop.settings.stepsPerSlice).toBe(4);
  });

  it('waits for the field to warm up before the first discovery, then keeps the cadence from there', async () => {
    const { pipeline, settings } = await pipelineWith({ steps: 44, stepsPerSlice: 4, discoverEvery: 10 });
    const events: RunEvent[] = [];
    // The loss never flattens this soon: warm at the step limit, 20.
    const warmUp = { minSteps: 8, maxSteps: 20, window: 8, flatFall: 0, smoothing: 4 };
    await new RunLoop(pipeline, settings, { ...headlessPolicy(settings), warmUp }, (e) => events.push(e)).run();
    const warming = ofType(events, 'warm-up');
    expect(warming.filter((e) => !e.state.warm).map((e) => e.state.step)).toEqual([4, 8, 12, 16]);
    expect(warming.filter((e) => e.state.warm).map((e) => e.state.step)).toEqual([20]);
    for (const e of warming) expect(e.state.loss).toBeGreaterThan(0);
    expect(ofType(events, 'discovered').map((e) => e.step)).toEqual([20, 30, 40, 44]);
  });
});
