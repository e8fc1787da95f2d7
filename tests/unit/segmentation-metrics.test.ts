import { describe, expect, it } from 'vitest';
import { NO_PREDICTION, novelLabel, SegmentationScore, type EvaluatedClass } from '../../src/eval/segmentation-metrics.ts';

const CLASSES: EvaluatedClass[] = [
  { id: 1, name: 'wall', known: true },
  { id: 2, name: 'floor', known: true },
  { id: 3, name: 'tv', known: false },
  { id: 4, name: 'window', known: false },
  { id: 5, name: 'picture', known: false },
];

const N = novelLabel;

/** Frames from (ground truth, prediction) pairs. */
function frame(pairs: Array<[number, number]>): [Uint16Array, Int32Array] {
  return [Uint16Array.from(pairs, ([g]) => g), Int32Array.from(pairs, ([, p]) => p)];
}

describe('segmentation metrics', () => {
  it('matches a hand count over two frames: void ignored, clusters matched by Hungarian, a surplus cluster wrong', () => {
    // Pixels (ground truth, prediction), 21 in all, 2 of them void:
    //   wall:   3 × wall, 1 × floor
    //   floor:  2 × floor, 1 × cluster 9
    //   tv:     4 × cluster 7, 3 × cluster 2
    //   window: 3 × cluster 7, 1 × nothing, 1 × wall
    //   void:   1 × wall, 1 × cluster 2                       (ignored)
    //   picture appears nowhere.
    const a = frame([
      [1, 1],
      [1, 1],
      [1, 2],
      [0, 1],
      [2, 2],
      [2, N(9)],
      [3, N(7)],
      [3, N(7)],
      [3, N(2)],
      [4, N(7)],
      [4, NO_PREDICTION],
      [0, N(2)],
    ]);
    const b = frame([
      [1, 1],
      [2, 2],
      [3, N(7)],
      [3, N(7)],
      [3, N(2)],
      [3, N(2)],
      [4, N(7)],
      [4, N(7)],
      [4, 1],
    ]);
    const score = new SegmentationScore(CLASSES);
    score.add(...a);
    score.add(...b);
    const r = score.result();

    // Overlap with the novel classes (tv, window, picture): cluster 2 → 3, 0, 0; cluster 7 → 4, 3, 0;
    // cluster 9 → 0, 0, 0. Greedy would give 7 → tv (4) and leave 2 with nothing: 4 pixels right.
    // The optimum is 2 → tv, 7 → window: 3 + 3 = 6. Cluster 9 overlaps no novel class: unmatched.
    expect(r.cluster_to_class).toEqual([
      { cluster: 2, id: 3, name: 'tv', overlap: 3 },
      { cluster: 7, id: 4, name: 'window', overlap: 3 },
    ]);
    expect(r.pixels).toBe(19);
    // Correct: wall 3 + floor 2 + tv 3 + window 3 = 11 of 19.
    expect(r.acc).toBeCloseTo((100 * 11) / 19, 10);
    // IoU = TP / (GT + predicted − TP):
    //   wall:   3 / (4 + 4 − 3) = 3/5     (predicted wall: 3 wall + 1 window)
    //   floor:  2 / (3 + 3 − 2) = 1/2     (predicted floor: 1 wall + 2 floor)
    //   tv:     3 / (7 + 3 − 3) = 3/7     (cluster 2: 3 tv)
    //   window: 3 / (5 + 7 − 3) = 1/3     (cluster 7: 4 tv + 3 window)
    //   picture: absent from both: no IoU, not in the means.
    expect(r.per_class.wall).toEqual({ acc: 75, iou: 60 });
    expect(r.per_class.floor!.acc).toBeCloseTo(200 / 3, 10);
    expect(r.per_class.floor!.iou).toBeCloseTo(50, 10);
    expect(r.per_class.tv!.acc).toBeCloseTo(300 / 7, 10);
    expect(r.per_class.tv!.iou).toBeCloseTo(300 / 7, 10);
    expect(r.per_class.window!.acc).toBeCloseTo(60, 10);
    expect(r.per_class.window!.iou).toBeCloseTo(100 / 3, 10);
    expect(r.per_class.picture).toEqual({ acc: null, iou: null });
    // mIoU = (3/5 + 1/2 + 3/7 + 1/3) / 4 = (126 + 105 + 90 + 70) / 210 / 4 = 391/840.
    expect(r.miou).toBeCloseTo((100 * 391) / 840, 10);
    // Known: (3/5 + 1/2) / 2 = 11/20. Novel: (3/7 + 1/3) / 2 = 8/21.
    expect(r.miou_known).toBeCloseTo(55, 10);
    expect(r.miou_novel).toBeCloseTo((100 * 8) / 21, 10);

    expect(r.confusion.rows).toEqual(['wall', 'floor', 'tv', 'window', 'picture']);
    expect(r.confusion.columns).toEqual(['wall', 'floor', 'tv', 'window', 'picture', 'novel 2', 'novel 7', 'novel 9', 'other']);
    expect(r.confusion.counts).toEqual([
      [3, 1, 0, 0, 0, 0, 0, 0, 0],
      [0, 2, 0, 0, 0, 0, 0, 1, 0],
      [0, 0, 0, 0, 0, 3, 4, 0, 0],
      [1, 0, 0, 0, 0, 0, 3, 0, 1],
      [0, 0, 0, 0, 0, 0, 0, 0, 0],
    ]);

    // Accumulating frame by frame is the same as scoring them as one image.
    const whole = new SegmentationScore(CLASSES);
    whole.add(Uint16Array.from([...a[0], ...b[0]]), Int32Array.from([...a[1], ...b[1]]));
    expect(whole.result()).toEqual(r);
  });

  it('scores a perfect prediction 100 whatever the cluster numbers', () => {
    const score = new SegmentationScore(CLASSES);
    score.add(
      ...frame([
        [1, 1],
        [2, 2],
        [3, N(5)],
        [4, N(0)],
        [5, N(3)],
        [3, N(5)],
        [0, N(0)],
      ]),
    );
    const r = score.result();
    expect(r.cluster_to_class.map((m) => [m.cluster, m.name])).toEqual([
      [0, 'window'],
      [3, 'picture'],
      [5, 'tv'],
    ]);
    expect([r.acc, r.miou, r.miou_known, r.miou_novel]).toEqual([100, 100, 100, 100]);
  });

  it('gives 0 IoU to a class that is never predicted and counts unknown class ids as wrong', () => {
    const score = new SegmentationScore(CLASSES);
    // Wall is predicted as floor, floor as class 9 (not evaluated): 0 right of 3.
    score.add(
      ...frame([
        [1, 2],
        [2, 2],
        [2, 9],
      ]),
    );
    const r = score.result();
    // wall: 0 / (1 + 0 − 0) = 0; floor: 1 / (2 + 2 − 1) = 1/3; novel classes absent.
    expect(r.per_class.wall).toEqual({ acc: 0, iou: 0 });
    expect(r.per_class.floor!.iou).toBeCloseTo(100 / 3, 10);
    expect(r.acc).toBeCloseTo(100 / 3, 10);
    expect(r.miou).toBeCloseTo(50 / 3, 10);
    expect(r.miou_novel).toBeNull();
  });

  it('reports no score before any pixel and checks its inputs', () => {
    const r = new SegmentationScore(CLASSES).result();
    expect([r.pixels, r.acc, r.miou]).toEqual([0, null, null]);
    expect(() => new SegmentationScore([{ id: 0, name: 'void', known: true }])).toThrow(/id/);
    expect(() => new SegmentationScore([CLASSES[0]!, { ...CLASSES[1]!, id: 1 }])).toThrow(/twice/);
    expect(() => new SegmentationScore(CLASSES).add(new Uint16Array(3), new Int32Array(2))).toThrow(/pixels/);
    expect(() => novelLabel(-1)).toThrow();
  });
});
