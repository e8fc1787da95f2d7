/**
 * The standard NeRF evaluation split: in the order of the frame numbers, every n-th frame is held
 * out, starting with the first (index % n == 0), and the field never trains on it.
 */
import { inNumberOrder } from '../scan/frame-numbers.ts';

export interface HeldOutSplit {
  /** Frame indices (positions in the scan), ascending. */
  train: number[];
  test: number[];
}

export function holdOutEvery(frames: readonly { name: string }[], every: number): HeldOutSplit {
  if (!Number.isInteger(every) || every < 2) throw new RangeError(`hold out every n-th frame needs n >= 2, got ${every}`);
  if (frames.length < 2) throw new RangeError(`a held-out split needs at least 2 frames, the scan has ${frames.length}`);
  const train: number[] = [];
  const test: number[] = [];
  inNumberOrder(frames).forEach((frame, i) => (i % every === 0 ? test : train).push(frame));
  const ascending = (a: number, b: number): number => a - b;
  return { train: train.sort(ascending), test: test.sort(ascending) };
}
