/** Which scan format a folder holds, from its file list alone. */
import { colmap } from './formats/colmap.ts';
import { nerfstudio } from './formats/nerfstudio.ts';
import { replicaNiceSlam } from './formats/replica-nice-slam.ts';
import { replicaSemanticNerf } from './formats/replica-semantic-nerf.ts';
import { scannet } from './formats/scannet.ts';
import { sevenScenes } from './formats/seven-scenes.ts';
import type { FormatParser } from './scan-layout.ts';
import { ScanError } from './scan-error.ts';
import type { ScanSource } from './scan-source.ts';

/**
 * In order of preference: a folder with both Replica files and a transforms.json (as the
 * generator writes) loads as Replica, which also has the labels. A transforms.json beside a COLMAP
 * model is the processed output of that model (nerfstudio's ns-process-data writes both), so it
 * comes first.
 */
export const FORMAT_PARSERS: readonly FormatParser[] = [replicaSemanticNerf, nerfstudio, colmap, replicaNiceSlam, scannet, sevenScenes];

/** A view of one subfolder of a source as a scan of its own. */
class SubfolderSource implements ScanSource {
  readonly paths: string[];
  constructor(
    private readonly parent: ScanSource,
    private readonly prefix: string,
  ) {
    this.paths = parent.paths.filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length));
  }
  get name(): string {
    return `${this.parent.name}/${this.prefix.slice(0, -1)}`;
  }
  read(path: string): Promise<Uint8Array> {
    return this.parent.read(this.prefix + path);
  }
}

/**
 * The scan inside what the user gave: the folder itself, or else the first subfolder (in name
 * order, shallowest first) that holds a known layout (a Replica room with several sequences, a
 * dataset folder with one scene).
 */
export function findScan(source: ScanSource): { source: ScanSource; parser: FormatParser; warnings: string[] } {
  const direct = FORMAT_PARSERS.find((p) => p.detect(source.paths));
  if (direct || source.paths.length === 0) return { source, parser: detectFormat(source), warnings: [] };
  const folders = new Set<string>();
  for (const p of source.paths) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) folders.add(`${parts.slice(0, i).join('/')}/`);
  }
  const ordered = [...folders].sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : 1));
  const found = ordered
    .map((prefix) => new SubfolderSource(source, prefix))
    .filter((sub) => FORMAT_PARSERS.some((p) => p.detect(sub.paths)));
  if (!found.length) return { source, parser: detectFormat(source), warnings: [] };
  const chosen = found[0]!;
  const others = found.length - 1;
  return {
    source: chosen,
    parser: detectFormat(chosen),
    warnings: [
      `loaded the scan in ${chosen.name}${others ? ` (${others} more scan folder${others > 1 ? 's' : ''} found; drop one to load it)` : ''}`,
    ],
  };
}

export function detectFormat(source: ScanSource): FormatParser {
  if (source.paths.length === 0) throw new ScanError(source.name, 'is empty: drop the folder that holds the scan');
  const parser = FORMAT_PARSERS.find((p) => p.detect(source.paths));
  if (!parser) {
    const sample = source.paths.slice(0, 5).join(', ');
    throw new ScanError(
      source.name,
      `is not a scan layout this app knows. It looked for: ${FORMAT_PARSERS.map((p) => p.signature).join('; ')}. ` +
        `Found ${source.paths.length} files, e.g. ${sample}`,
    );
  }
  return parser;
}
