/** Quaternions to rotation matrices, against hand-worked rotations. */
import { describe, expect, it } from 'vitest';
import { rotationFromQuaternion } from '../../src/math/quaternion.ts';

describe('quaternions', () => {
  it('turn 90° about z: x to y', () => {
    const r = rotationFromQuaternion(Math.SQRT1_2, 0, 0, Math.SQRT1_2)!;
    expect(Array.from(r).map((v) => Math.round(v * 1e12) / 1e12 + 0)).toEqual([0, -1, 0, 1, 0, 0, 0, 0, 1]);
  });

  it('are normalised first; a zero quaternion is no rotation', () => {
    const r = rotationFromQuaternion(0, 2, 0, 0)!;
    expect(Array.from(r).map((v) => v + 0)).toEqual([1, 0, 0, 0, -1, 0, 0, 0, -1]);
    expect(rotationFromQuaternion(0, 0, 0, 0)).toBeNull();
    expect(rotationFromQuaternion(NaN, 0, 0, 1)).toBeNull();
  });
});
