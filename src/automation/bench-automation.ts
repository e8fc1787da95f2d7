/**
 * `window.neurncd.bench`: the training benchmark on a scene the page generates (a preset and a
 * seed) or on a scan it fetches from its own origin (the headless command serves the folder).
 */
import type { GpuContext } from '../gpu/gpu-context.ts';
import { runBenchmark, type BenchmarkOptions, type BenchmarkResult, type BenchmarkScene } from '../run/benchmark.ts';
import { loadScanInWorker, type ScanInput } from '../scan/load-scan-in-worker.ts';
import type { Scan } from '../scan/scan.ts';
import { generateScanInBrowser } from '../synth/generate-in-browser.ts';
import type { PresetName } from '../synth/synth-options.ts';
import { fetchScanInput, type ScanRequest } from './scan-request.ts';

export type BenchRequest = BenchmarkOptions & ({ preset: PresetName; seed: number } | { scan: ScanRequest });

export async function runBenchRequest(
  ctx: GpuContext,
  loadScan: (input: ScanInput) => Promise<Scan>,
  request: BenchRequest,
  log: (line: string) => void,
): Promise<BenchmarkResult> {
  let scene: BenchmarkScene;
  if ('scan' in request) {
    log(`loading ${request.scan.name}`);
    scene = { scanName: request.scan.name, scan: await loadScan(await fetchScanInput(request.scan)) };
  } else {
    log(`generating the ${request.preset} scene (seed ${request.seed})`);
    const files = await generateScanInBrowser({ preset: request.preset, seed: request.seed });
    const name = `${request.preset}-${request.seed}`;
    scene = { preset: request.preset, seed: request.seed, scan: await loadScanInWorker({ kind: 'memory', name, files: [...files] }) };
  }
  return runBenchmark(ctx, scene, request, log);
}
