/**
 * npm run inspect-scan -- DIR [--json] [--long-side N] [--max-frames N]
 *
 * Loads a scan folder (or a .zip of one) with the same loader as the page and reports what it
 * found. Bad input: one `error:` line naming the file and the problem, exit status 2.
 */
import { loadScan, formatLabel, DEFAULT_LONG_SIDE, DEFAULT_MAX_FRAMES } from '../scan/load-scan.ts';
import { ScanError } from '../scan/scan-error.ts';
import { intOption, parseArgs, runCommand, UsageError } from './args.ts';
import { decodeImageNode } from './node-image-decoder.ts';
import { openScanPath } from './node-scan-source.ts';

/** "3 chair", with "(novel)" where the scan says the class is not known. */
const classLabel = (c: { id: number; name: string; known: boolean | null }): string =>
  `${c.id} ${c.name}${c.known === false ? ' (novel)' : ''}`;

await runCommand(
  async () => {
    const args = parseArgs(process.argv.slice(2), { values: ['long-side', 'max-frames'], flags: ['json'] });
    if (args.positionals.length !== 1) throw new UsageError('give one scan folder (or .zip): npm run inspect-scan -- DIR [--json]');
    const longSide = intOption(args, 'long-side', 16, 8192) ?? DEFAULT_LONG_SIDE;
    const maxFrames = intOption(args, 'max-frames', 2, 1_000_000) ?? DEFAULT_MAX_FRAMES;
    const source = await openScanPath(args.positionals[0]!);
    const scan = await loadScan(source, { decodeImage: decodeImageNode, longSide, maxFrames });
    const f0 = scan.frames[0]!;
    const native = {
      fx: (f0.intrinsics.fx * scan.imageSize.width) / f0.width,
      fy: (f0.intrinsics.fy * scan.imageSize.height) / f0.height,
      cx: (f0.intrinsics.cx * scan.imageSize.width) / f0.width,
      cy: (f0.intrinsics.cy * scan.imageSize.height) / f0.height,
    };
    const report = {
      format: scan.format,
      format_name: formatLabel(scan),
      source: scan.sourceName,
      frames: scan.frames.length,
      width: scan.imageSize.width,
      height: scan.imageSize.height,
      training_width: scan.trainingSize.width,
      training_height: scan.trainingSize.height,
      ...native,
      has_depth: scan.hasDepth,
      has_labels: scan.hasLabels,
      sparse_points: scan.sparsePoints ? scan.sparsePoints.length / 3 : 0,
      sparse_depth_frames: scan.frames.filter((f) => f.sparseDepth).length,
      masked_frames: scan.frames.filter((f) => f.mask).length,
      // known: null where the scan does not say; scoring then takes the segmenter's classes as known.
      classes: scan.classes?.map((c) => ({ id: c.id, name: c.name, known: c.known ?? null })) ?? null,
      applied_transform: scan.appliedTransform ? Array.from(scan.appliedTransform) : null,
      bounds_min: scan.bounds.min,
      bounds_max: scan.bounds.max,
      pose_convention: 'camera-to-world, OpenCV axes (x right, y down, z forward)',
      warnings: scan.warnings,
    };
    if (args.options.has('json')) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    const fmt = (v: number): string => (Math.round(v * 1000) / 1000).toString();
    const lines = [
      `format:      ${report.format_name} (${report.format})`,
      `frames:      ${report.frames}`,
      `image size:  ${report.width}x${report.height}`,
      `training:    ${report.training_width}x${report.training_height}`,
      `intrinsics:  fx ${fmt(native.fx)}  fy ${fmt(native.fy)}  cx ${fmt(native.cx)}  cy ${fmt(native.cy)}  (frame 0, image pixels, pixel centres at +0.5)`,
      `depth:       ${report.has_depth ? 'yes' : 'no'}`,
      `labels:      ${report.has_labels ? 'yes' : 'no'}${report.classes ? ` (${report.classes.length} classes: ${report.classes.map(classLabel).join(', ')})` : ''}`,
      ...(report.masked_frames
        ? [
            `masks:       ${report.masked_frames} frame${report.masked_frames === 1 ? '' : 's'} (masked pixels are neither trained on nor scored)`,
          ]
        : []),
      ...(scan.sparsePoints
        ? [
            `sparse:      ${report.sparse_points} points (the reconstruction's own 3D points)` +
              (report.sparse_depth_frames ? `; depth prior in ${report.sparse_depth_frames} frames (the points each observes)` : ''),
          ]
        : []),
      `bounds:      min (${scan.bounds.min.map(fmt).join(', ')})  max (${scan.bounds.max.map(fmt).join(', ')})`,
      ...(scan.warnings.length ? ['warnings:', ...scan.warnings.map((w) => `  - ${w}`)] : ['warnings:    none']),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  },
  (e) => e instanceof ScanError,
);
