/**
 * What the user changed about the discovered classes: names given to them, and classes merged
 * into others. Discovery keeps its own ids and names; these edits are laid over every update as it
 * is shown and exported, so they survive later updates (ids are stable) and a reset forgets them.
 */
import type { ClassSummary } from './class-discovery.ts';

export class ClassEdits {
  private readonly given = new Map<number, string>();
  /** from -> into, each `into` resolved to a class that is not merged itself. */
  private readonly merged = new Map<number, number>();

  /** The names the user gave, by class id. */
  get names(): ReadonlyMap<number, string> {
    return this.given;
  }

  rename(id: number, name: string): void {
    this.given.set(id, name);
  }

  /**
   * Class `from` is shown as `into` from now on, and so is everything merged into `from`. Merging
   * a class into itself, or into one already merged into it, changes nothing (no cycles).
   */
  merge(into: number, from: number): boolean {
    const target = this.mergedInto(into);
    const source = this.mergedInto(from);
    if (target === source) return false;
    for (const [id, to] of this.merged) if (to === source) this.merged.set(id, target);
    this.merged.set(source, target);
    return true;
  }

  /** The class `id` is shown as. */
  readonly mergedInto = (id: number): number => this.merged.get(id) ?? id;

  /**
   * An update's classes as the user sees them: merged classes folded into their target (shares
   * summed), the target's name (or the name the user gave) on each. A class merged into one
   * this update does not have takes its place under the target's id.
   */
  apply(classes: readonly ClassSummary[]): ClassSummary[] {
    const out = new Map<number, ClassSummary>();
    for (const c of classes) {
      const id = this.mergedInto(c.id);
      const existing = out.get(id);
      if (existing) existing.share += c.share;
      else {
        const own = id === c.id ? c.name : (classes.find((x) => x.id === id)?.name ?? c.name);
        out.set(id, { ...c, id, name: this.given.get(id) ?? own });
      }
    }
    return [...out.values()].sort((a, b) => a.id - b.id);
  }

  clear(): void {
    this.given.clear();
    this.merged.clear();
  }
}
