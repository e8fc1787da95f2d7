/**
 * Scores predicted label maps against ground truth the way SCIM (Blum et al. 2022) and NeurNCD
 * do: pixel accuracy and mean IoU over all evaluated classes, known and novel, where the novel
 * clusters a method discovers have no names and are first matched to the ground-truth novel
 * classes.
 *
 * Matching is one Hungarian assignment over the whole sequence (never per frame), maximising the
 * total intersection (pixels of cluster k that are class c), as SCIM does. Maximising the
 * intersection maximises the number of correctly labelled pixels, i.e. accuracy; matching on
 * IoU instead would favour pairing small clusters with small classes. A cluster left without a
 * class (more clusters than novel classes), or whose best partner shares no pixel with it, is
 * unmatched: its pixels are wrong, they are missed pixels of their true class but false
 * positives of none.
 *
 * A class's IoU is TP / (TP + FP + FN) with the matched cluster counted as that class. A class
 * absent from both the ground truth and the prediction has no IoU and is left out of the means;
 * a class in the ground truth that is never predicted has IoU 0.
 */
import { maximumAssignment } from './hungarian.ts';

export interface EvaluatedClass {
  /** Ground-truth label id, 1..65535 (0 is void). */
  id: number;
  name: string;
  /** Whether the segmenter was trained on it; novel classes are the ones clusters are matched to. */
  known: boolean;
}

/**
 * A predicted label map is an Int32Array with one entry per pixel:
 *   ≥ 0  a ground-truth class id (the segmenter's class, mapped to the dataset's ids);
 *   -1   no prediction (NO_PREDICTION);
 *   ≤ -2 novel cluster k, written novelLabel(k).
 * Anything that is not an evaluated class id or a novel cluster counts as a wrong prediction.
 */
export const NO_PREDICTION = -1;

export function novelLabel(cluster: number): number {
  if (!Number.isInteger(cluster) || cluster < 0) throw new Error(`novel cluster must be an integer ≥ 0, got ${cluster}`);
  return -2 - cluster;
}

export interface ClassScore {
  /** % of this class's pixels labelled as it; null when it has no ground-truth pixels. */
  acc: number | null;
  /** %; null when the class is absent from both ground truth and prediction. */
  iou: number | null;
}

export interface ClusterMatch {
  cluster: number;
  /** Ground-truth class id and name the cluster stands for. */
  id: number;
  name: string;
  /** Pixels of the cluster that are that class. */
  overlap: number;
}

export interface SegmentationResult {
  /** Evaluated (non-void, evaluated-class) ground-truth pixels. */
  pixels: number;
  /** Pixel accuracy, %; null when no pixel was evaluated. */
  acc: number | null;
  /** Mean IoU (%) over the classes that have one; null when none has. */
  miou: number | null;
  miou_known: number | null;
  miou_novel: number | null;
  per_class: Record<string, ClassScore>;
  /** Matched clusters only, by cluster. */
  cluster_to_class: ClusterMatch[];
  /**
   * Pixel counts, rows = ground-truth classes (in the given order), columns = predictions: the
   * classes (same order), then the novel clusters seen (ascending), then "other".
   */
  confusion: { rows: string[]; columns: string[]; counts: number[][] };
}

const LABEL_IDS = 65536;

/** Accumulates counts frame by frame, so a whole sequence never has to be held at once. */
export class SegmentationScore {
  private readonly classes: readonly EvaluatedClass[];
  private readonly rowOfId = new Int32Array(LABEL_IDS).fill(-1);
  /** Rows × (classes + 1): predictions of a class id, and last the "other" column. */
  private readonly direct: Float64Array;
  private readonly clusters = new Map<number, Float64Array>();

  constructor(classes: readonly EvaluatedClass[]) {
    const names = new Set<string>();
    classes.forEach((c, row) => {
      if (!Number.isInteger(c.id) || c.id < 1 || c.id >= LABEL_IDS)
        throw new Error(`class ${c.name}: id must be an integer in 1..${LABEL_IDS - 1}, got ${c.id}`);
      if (this.rowOfId[c.id] !== -1) throw new Error(`class id ${c.id} appears twice`);
      if (names.has(c.name)) throw new Error(`class name ${c.name} appears twice`);
      names.add(c.name);
      this.rowOfId[c.id] = row;
    });
    this.classes = classes.map((c) => ({ ...c }));
    this.direct = new Float64Array(classes.length * (classes.length + 1));
  }

  /** One frame. Ground-truth pixels that are void (0) or not an evaluated class are ignored. */
  add(groundTruth: Uint16Array, predicted: Int32Array): void {
    if (groundTruth.length !== predicted.length)
      throw new Error(`ground truth has ${groundTruth.length} pixels, prediction ${predicted.length}`);
    const columns = this.classes.length + 1;
    const other = this.classes.length;
    for (let p = 0; p < groundTruth.length; p++) {
      const row = this.rowOfId[groundTruth[p]!]!;
      if (row < 0) continue;
      const label = predicted[p]!;
      if (label <= -2) {
        const cluster = -2 - label;
        let counts = this.clusters.get(cluster);
        if (!counts) this.clusters.set(cluster, (counts = new Float64Array(this.classes.length)));
        counts[row]!++;
      } else {
        const predictedRow = label >= 0 && label < LABEL_IDS ? this.rowOfId[label]! : -1;
        this.direct[row * columns + (predictedRow >= 0 ? predictedRow : other)]!++;
      }
    }
  }

  result(): SegmentationResult {
    const classes = this.classes;
    const c = classes.length;
    const clusterIds = [...this.clusters.keys()].sort((a, b) => a - b);
    const clusterCounts = clusterIds.map((k) => this.clusters.get(k)!);
    const counts = classes.map((_, row) => [
      ...Array.from({ length: c }, (_, col) => this.direct[row * (c + 1) + col]!),
      ...clusterCounts.map((k) => k[row]!),
      this.direct[row * (c + 1) + c]!,
    ]);
    const columnTotal = (col: number) => counts.reduce((sum, row) => sum + row[col]!, 0);

    // Novel clusters × novel classes, on intersection counts.
    const novelRows = classes.flatMap((cls, row) => (cls.known ? [] : [row]));
    const overlap = clusterCounts.map((k) => novelRows.map((row) => k[row]!));
    const matches = maximumAssignment(overlap).filter(([k, n]) => overlap[k]![n]! > 0);
    const clusterColumnOf = new Int32Array(c).fill(-1);
    for (const [k, n] of matches) clusterColumnOf[novelRows[n]!] = c + k;

    const perClass: Record<string, ClassScore> = {};
    const ious: { known: boolean; iou: number }[] = [];
    let pixels = 0;
    let correct = 0;
    classes.forEach((cls, row) => {
      const predictedAs = [row, clusterColumnOf[row]!].filter((col) => col >= 0);
      const truth = counts[row]!.reduce((a, b) => a + b, 0);
      const hits = predictedAs.reduce((sum, col) => sum + counts[row]![col]!, 0);
      const predicted = predictedAs.reduce((sum, col) => sum + columnTotal(col), 0);
      const union = truth + predicted - hits;
      const iou = union > 0 ? (100 * hits) / union : null;
      perClass[cls.name] = { acc: truth > 0 ? (100 * hits) / truth : null, iou };
      if (iou !== null) ious.push({ known: cls.known, iou });
      pixels += truth;
      correct += hits;
    });
    const mean = (values: number[]) => (values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : null);

    return {
      pixels,
      acc: pixels > 0 ? (100 * correct) / pixels : null,
      miou: mean(ious.map((x) => x.iou)),
      miou_known: mean(ious.filter((x) => x.known).map((x) => x.iou)),
      miou_novel: mean(ious.filter((x) => !x.known).map((x) => x.iou)),
      per_class: perClass,
      cluster_to_class: matches.map(([k, n]) => {
        const cls = classes[novelRows[n]!]!;
        return { cluster: clusterIds[k]!, id: cls.id, name: cls.name, overlap: overlap[k]![n]! };
      }),
      confusion: {
        rows: classes.map((cls) => cls.name),
        columns: [...classes.map((cls) => cls.name), ...clusterIds.map((k) => `novel ${k}`), 'other'],
        counts,
      },
    };
  }
}
