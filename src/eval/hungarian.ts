/**
 * Optimal one-to-one assignment (Hungarian / Munkres) maximising a total score, for rectangular
 * matrices: min(rows, columns) pairs, each row and each column used at most once. The `munkres`
 * package does the work (it minimises cost, so the scores are negated).
 */
import { munkres } from 'munkres';

/** Pairs [row, column], sorted by row. Entries must be finite. */
export function maximumAssignment(score: readonly (readonly number[])[]): Array<[row: number, column: number]> {
  const columns = score[0]?.length ?? 0;
  if (score.length === 0 || columns === 0) return [];
  const cost = score.map((row, r) => {
    if (row.length !== columns) throw new Error(`score row ${r} has ${row.length} entries, expected ${columns}`);
    return row.map((s, c) => {
      if (!Number.isFinite(s)) throw new Error(`score[${r}][${c}] = ${s}: must be finite`);
      return -s;
    });
  });
  return munkres(cost).sort((a, b) => a[0] - b[0]);
}
