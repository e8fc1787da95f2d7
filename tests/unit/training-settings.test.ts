/** The trainer's settings per adapter, shrunk to the device's limits, and the held-out split. */
import { describe, expect, it } from 'vitest';
import { defaultTrainerSettings } from '../../src/field/training-settings.ts';
import { mlpLayout } from '../../src/field/mlp.ts';

const MIB = 2 ** 20;

describe('training settings', () => {
  it("uses instant-ngp's sizes on a hardware adapter and smaller ones on a software adapter", () => {
    const hw = defaultTrainerSettings({ software: false, maxStorageBufferBindingSize: 128 * MIB }, 9);
    expect(hw.field.hashGrid).toMatchObject({ levels: 16, featuresPerLevel: 2, log2TableSize: 19 });
    expect([hw.field.width, hw.sampler.rays, hw.field.k]).toEqual([64, 4096, 9]);
    const sw = defaultTrainerSettings({ software: true, maxStorageBufferBindingSize: 128 * MIB }, 9);
    expect(sw.field.hashGrid.log2TableSize).toBe(17);
    expect(sw.sampler.rays).toBe(1024);
    // Batches are whole MLP sample tiles.
    for (const s of [hw, sw]) expect(s.sampler.capacity % 16).toBe(0);
    expect(() => mlpLayout([32, hw.field.width, 16])).not.toThrow();
  });

  it('shrinks the hash table and the batch to the binding limit', () => {
    const small = defaultTrainerSettings({ software: false, maxStorageBufferBindingSize: 16 * MIB }, 9);
    // 16 levels x 2 features x 4 bytes x 2^17 = 16 MiB.
    expect(small.field.hashGrid.log2TableSize).toBe(17);
    // The colour network's input (128 bytes a sample) must fit one binding too.
    expect(small.sampler.capacity * 128).toBeLessThanOrEqual(16 * MIB);
    expect(small.sampler.rays).toBe(2048);
  });
});
