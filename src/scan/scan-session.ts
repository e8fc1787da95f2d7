/**
 * The scan the page works on. A new load replaces it only when it succeeds: a bad drop reports
 * its error and leaves the loaded scan (and later, its training) untouched.
 */
import { loadScanInWorker, type ScanInput } from './load-scan-in-worker.ts';
import { DEFAULT_BACKGROUND } from './load-scan.ts';
import type { Scan } from './scan.ts';

export interface ScanSessionEvents {
  onProgress(name: string, done: number, total: number): void;
  onLoaded(scan: Scan): void;
  onError(message: string): void;
}

export class ScanSession {
  current: Scan | null = null;
  lastError: string | null = null;
  background: [number, number, number] = [...DEFAULT_BACKGROUND];
  private generation = 0;
  private loading = 0;

  constructor(private readonly events: ScanSessionEvents) {}

  /** Whether a scan is loaded or a load is running. */
  get taken(): boolean {
    return this.current !== null || this.loading > 0;
  }

  async load(input: ScanInput): Promise<Scan | null> {
    // Only the newest of overlapping loads may win.
    const ticket = ++this.generation;
    this.loading++;
    try {
      const scan = await loadScanInWorker(input, {
        background: this.background,
        onProgress: (done, total) => ticket === this.generation && this.events.onProgress(input.name, done, total),
      });
      if (ticket !== this.generation) return null;
      this.current = scan;
      this.lastError = null;
      this.events.onLoaded(scan);
      return scan;
    } catch (e) {
      if (ticket !== this.generation) return null;
      this.lastError = e instanceof Error ? e.message : String(e);
      this.events.onError(this.lastError);
      return null;
    } finally {
      this.loading--;
    }
  }
}
