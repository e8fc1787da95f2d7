/** Which scan format a folder holds, from its file list alone. */
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
 * generator writes) loads as Replica, which also has the labels.
 */
export const FORMAT_PARSERS: readonly FormatParser[] = [replicaSemanticNerf, nerfstudio, replicaNiceSlam, scannet, sevenScenes];

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
