/**
 * What the field says about one clicked pixel: its 3D point and depth, the entropy of its fused
 * class distribution, the five most likely classes, the whole pre-softmax embedding (bars around
 * zero), its pre-segmentation segment, how that segment looks against the segmenter's training
 * examples of the likeliest class, and its discovered class. Non-finite numbers show as "—"
 * (and "NaN" in data-value). Text only: class names never become markup.
 */
import { cssRgb } from './class-legend.ts';
import { element } from './dom-element.ts';

export type InspectorRgb = [number, number, number];

export interface InspectorProbability {
  name: string;
  p: number;
  colour: InspectorRgb;
}

export interface PixelInfo {
  x: number;
  y: number;
  /** Name of the frame (or view) the pixel is in. */
  frame?: string;
  /** Surface point in scene coordinates; null when the ray hits nothing. */
  point: [number, number, number] | null;
  depth: number | null;
  /** -Σ p log p of the fused class distribution (nats). */
  entropy: number;
  /** Entropy / log K, 0..1. */
  entropyNormalised: number;
  /** All K classes, in class order (the embedding's order). */
  probs: InspectorProbability[];
  /** The pre-softmax embedding, K values. */
  embedding: ArrayLike<number>;
  segment: number | null;
  /**
   * The segment's appearance against the segmenter's training examples of the pixel's likeliest
   * class: its distance in that class's spreads (beyond 1: unlike 95% of them). Null when the
   * segmenter has no feature statistics.
   */
  appearance?: { name: string; spreads: number } | null;
  cluster: { name: string; novel: boolean } | null;
}

export interface PixelInspectorCallbacks {
  /** The user turned "Show similar" on or off. */
  onSimilar(enabled: boolean): void;
}

/** How many classes the inspector lists. */
export const INSPECTOR_TOP_CLASSES = 5;

/** `x` with `digits` decimals, or "—" when it is not a finite number. */
export function formatNumber(x: number | null | undefined, digits: number): string {
  return typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '—';
}

/** `x` for a data-value attribute: the number, or "NaN" when it is not finite. */
export function dataValue(x: number | null | undefined): string {
  return typeof x === 'number' && Number.isFinite(x) ? String(x) : 'NaN';
}

/**
 * The `n` most likely entries, most likely first (stable for ties); entries whose p is not a
 * finite number come last.
 */
export function topProbabilities<T extends { p: number }>(probs: readonly T[], n = INSPECTOR_TOP_CLASSES): T[] {
  const key = (t: T): number => (Number.isFinite(t.p) ? t.p : -Infinity);
  return probs
    .map((t, i) => ({ t, i }))
    .sort((a, b) => key(b.t) - key(a.t) || a.i - b.i)
    .slice(0, Math.max(0, n))
    .map((e) => e.t);
}

/** Smallest and largest finite values, and the largest magnitude (0 when there are none). */
export function finiteRange(values: ArrayLike<number>): { min: number; max: number; maxAbs: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min > max) return { min: NaN, max: NaN, maxAbs: 0 };
  return { min, max, maxAbs: Math.max(Math.abs(min), Math.abs(max)) };
}

/** A pixel coordinate: whole numbers as they are, others with one decimal. */
function coordinate(v: number): string {
  return Number.isInteger(v) ? String(v) : formatNumber(v, 1);
}

export class PixelInspector {
  readonly element = element('section', 'pixel-inspector', undefined, 'inspector');
  private readonly similar = element('button', 'inspector-similar', 'Show similar', 'inspector-similar');
  private readonly hint = element('p', 'hint', 'Click the view to inspect a pixel', 'inspector-hint');
  private readonly body = element('div', 'inspector-body', undefined, 'inspector-body');
  private similarOn = false;

  constructor(private readonly callbacks: PixelInspectorCallbacks) {
    this.similar.type = 'button';
    this.similar.title = 'Highlight the pixels whose embedding is like this one';
    this.similar.setAttribute('aria-pressed', 'false');
    this.similar.addEventListener('click', () => {
      this.setSimilar(!this.similarOn);
      this.callbacks.onSimilar(this.similarOn);
    });
    const head = element('div', 'inspector-head');
    head.append(element('h2', undefined, 'Pixel'), this.similar);
    this.element.append(head, this.hint, this.body);
    this.clear();
  }

  /** Whether "Show similar" is on. */
  get similarEnabled(): boolean {
    return this.similarOn;
  }

  /** Sets the "Show similar" toggle without calling back (for the owner to keep it in step). */
  setSimilar(enabled: boolean): void {
    this.similarOn = enabled;
    this.similar.setAttribute('aria-pressed', String(enabled));
    this.similar.classList.toggle('on', enabled);
  }

  /** Shows the hint instead of a pixel. */
  clear(): void {
    this.body.replaceChildren();
    this.body.hidden = true;
    this.hint.hidden = false;
    delete this.element.dataset.x;
    delete this.element.dataset.y;
  }

  show(info: PixelInfo): void {
    const probs = Array.isArray(info.probs) ? info.probs : [];
    const embedding = info.embedding ?? [];
    this.element.dataset.x = dataValue(info.x);
    this.element.dataset.y = dataValue(info.y);
    this.body.replaceChildren(
      this.facts(info),
      element('h3', undefined, `Most likely classes (top ${Math.min(INSPECTOR_TOP_CLASSES, probs.length)} of ${probs.length})`),
      this.probabilities(probs),
      element('h3', undefined, `Embedding (${embedding.length} pre-softmax values)`),
      ...this.embeddingBars(embedding, probs),
    );
    this.hint.hidden = true;
    this.body.hidden = false;
  }

  private facts(info: PixelInfo): HTMLDListElement {
    const dl = element('dl', 'inspector-facts');
    const add = (label: string, value: string, testid: string): HTMLElement => {
      const dd = element('dd', undefined, value, testid);
      dl.append(element('dt', undefined, label), dd);
      return dd;
    };
    const frame = typeof info.frame === 'string' && info.frame !== '' ? ` in ${info.frame}` : '';
    add('Pixel', `(${coordinate(info.x)}, ${coordinate(info.y)})${frame}`, 'inspector-pixel');

    const point = Array.isArray(info.point) ? info.point : null;
    const pointDd = add('Point', point ? `(${point.map((v) => formatNumber(v, 3)).join(', ')})` : '—', 'inspector-point');
    pointDd.dataset.value = point ? point.map(dataValue).join(',') : 'NaN';

    const depthDd = add('Depth', formatNumber(info.depth, 3), 'inspector-depth');
    depthDd.dataset.value = dataValue(info.depth);

    const entropyDd = add('Entropy', '', 'inspector-entropy');
    entropyDd.dataset.value = dataValue(info.entropy);
    entropyDd.dataset.normalised = dataValue(info.entropyNormalised);
    const meter = element('span', 'inspector-meter');
    const fill = element('span', 'inspector-meter-fill');
    const n = Number.isFinite(info.entropyNormalised) ? Math.min(1, Math.max(0, info.entropyNormalised)) : 0;
    fill.style.width = `${(n * 100).toFixed(1)}%`;
    meter.append(fill);
    const normalised = Number.isFinite(info.entropyNormalised) ? ` (${(info.entropyNormalised * 100).toFixed(0)}% of log K)` : '';
    entropyDd.append(document.createTextNode(`${formatNumber(info.entropy, 3)}${normalised} `), meter);

    const segmentDd = add('Segment', typeof info.segment === 'number' ? formatNumber(info.segment, 0) : '—', 'inspector-segment');
    segmentDd.dataset.value = dataValue(info.segment);

    const look = info.appearance ?? null;
    const beyond = look && Number.isFinite(look.spreads) && look.spreads > 1 ? ', unlike its training examples' : '';
    const lookDd = add('Appearance', look ? `${formatNumber(look.spreads, 2)} ${look.name} spreads${beyond}` : '—', 'inspector-appearance');
    lookDd.dataset.value = dataValue(look?.spreads ?? null);
    if (look) lookDd.dataset.name = look.name;

    const cluster = info.cluster;
    const clusterDd = add('Class', cluster ? `${cluster.name} (${cluster.novel ? 'discovered' : 'known'})` : '—', 'inspector-cluster');
    if (cluster) {
      clusterDd.dataset.name = cluster.name;
      clusterDd.dataset.novel = String(cluster.novel);
    }
    return dl;
  }

  private probabilities(probs: readonly InspectorProbability[]): HTMLOListElement {
    const list = element('ol', 'inspector-probs', undefined, 'inspector-probs');
    for (const entry of topProbabilities(probs)) {
      const row = element('li', 'inspector-prob', undefined, 'inspector-prob');
      const name = typeof entry.name === 'string' ? entry.name : String(entry.name);
      row.dataset.name = name;
      row.dataset.value = dataValue(entry.p);
      const bar = element('span', 'inspector-bar');
      const fill = element('span', 'inspector-bar-fill');
      const p = Number.isFinite(entry.p) ? Math.min(1, Math.max(0, entry.p)) : 0;
      fill.style.width = `${(p * 100).toFixed(1)}%`;
      fill.style.background = cssRgb(entry.colour);
      bar.append(fill);
      const percent = Number.isFinite(entry.p) ? `${(entry.p * 100).toFixed(1)}%` : '—';
      row.append(element('span', 'inspector-prob-name', name), bar, element('span', 'inspector-prob-value', percent));
      list.append(row);
    }
    return list;
  }

  private embeddingBars(embedding: ArrayLike<number>, probs: readonly InspectorProbability[]): HTMLElement[] {
    const chart = element('div', 'inspector-embedding', undefined, 'inspector-embedding');
    const { min, max, maxAbs } = finiteRange(embedding);
    for (let i = 0; i < embedding.length; i++) {
      const v = embedding[i]!;
      const column = element('div', 'inspector-embedding-value', undefined, 'inspector-embedding-value');
      column.dataset.value = dataValue(v);
      const name = probs.length === embedding.length ? probs[i]?.name : undefined;
      if (name !== undefined) column.dataset.name = name;
      column.title = `${name ?? `channel ${i}`}: ${formatNumber(v, 3)}`;
      const bar = element('span', 'inspector-embedding-bar');
      if (Number.isFinite(v) && maxAbs > 0) {
        const h = (Math.abs(v) / maxAbs) * 50;
        bar.style.height = `${h.toFixed(2)}%`;
        if (v >= 0) bar.style.bottom = '50%';
        else bar.style.top = '50%';
        bar.classList.add(v >= 0 ? 'positive' : 'negative');
      } else if (!Number.isFinite(v)) column.classList.add('not-a-number');
      column.append(bar);
      chart.append(column);
    }
    const range = element(
      'p',
      'inspector-embedding-range',
      `min ${formatNumber(min, 3)}, max ${formatNumber(max, 3)}`,
      'inspector-embedding-range',
    );
    range.dataset.min = dataValue(min);
    range.dataset.max = dataValue(max);
    return [chart, range];
  }
}
