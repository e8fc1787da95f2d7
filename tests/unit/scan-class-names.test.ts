/**
 * Class names beside any format: a classes.json names the label ids and the known/novel split;
 * ScanNet's label-filt ids get the NYU40 names unless one does; broken files and entries are a
 * warning naming the file; inspect-scan --json shows the classes.
 */
import { describe, expect, it } from 'vitest';
import { decodeImageNode } from '../../src/cli/node-image-decoder.ts';
import { openScanPath } from '../../src/cli/node-scan-source.ts';
import { evaluatedClasses } from '../../src/eval/label-scoring.ts';
import { parseClassNames } from '../../src/scan/class-names.ts';
import { loadScan } from '../../src/scan/load-scan.ts';
import { MemorySource } from '../../src/scan/scan-source.ts';
import type { ClassName, Scan } from '../../src/scan/scan.ts';
import { runCli } from '../helpers/scan-files.ts';
import { makeFixture, toNerfstudio, toNiceSlam, toScanNet, toSevenScenes, writeFiles, type Files } from '../helpers/scan-fixtures.ts';
import { hasShared, sharedPath } from '../helpers/shared-material.ts';

const fixture = makeFixture(3, 32, 24, 8);
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const load = (files: Files, maxFrames?: number): Promise<Scan> =>
  loadScan(new MemorySource('classes', files), { decodeImage: decodeImageNode, ...(maxFrames ? { maxFrames } : {}) });
const withFile = (files: Files, path: string, text: string): Files => new Map([...files, [path, enc(text)]]);

const OWN: ClassName[] = [
  { id: 1, name: 'bed', known: true },
  { id: 4, name: 'chair', known: false },
  { id: 10, name: 'table' },
];

describe.each<[string, () => Files]>([
  ['nerfstudio', () => toNerfstudio(fixture)],
  ['replica-nice-slam', () => toNiceSlam(fixture)],
  ['scannet', () => toScanNet(fixture)],
  ['7scenes', () => toSevenScenes(fixture)],
])('a classes.json beside a %s scan', (format, files) => {
  it('names its classes, with the known/novel split', async () => {
    const scan = await load(withFile(files(), 'classes.json', JSON.stringify(OWN)));
    expect(scan.format).toBe(format);
    expect(scan.classes).toEqual(OWN);
  });
});

describe('ScanNet label-filt ids', () => {
  it('get the NYU40 names without a classes.json, the segmenter decides what is known', async () => {
    const scan = await load(toScanNet(fixture));
    expect(scan.classes).toHaveLength(40);
    expect(scan.classes!.slice(0, 5).map((c) => c.name)).toEqual(['wall', 'floor', 'cabinet', 'bed', 'chair']);
    expect(scan.classes!.find((c) => c.id === 24)).toEqual({ id: 24, name: 'refrigerator' });
    expect(scan.classes!.find((c) => c.id === 40)).toEqual({ id: 40, name: 'otherprop' });
    expect(scan.classes!.every((c) => c.known === undefined)).toBe(true);
    const evaluated = evaluatedClasses(scan.classes!, [{ name: 'chair' }, { name: 'wall' }]);
    expect(evaluated.filter((c) => c.known).map((c) => c.name)).toEqual(['wall', 'chair']);
  });

  it('have no names without label-filt', async () => {
    const files = toScanNet(fixture);
    for (const p of [...files.keys()]) if (p.startsWith('label-filt/')) files.delete(p);
    expect((await load(files)).classes).toBeUndefined();
  });

  it('label ids that no class names are a warning (they are not scored)', async () => {
    // The fixture's labels are ids 1..13: a classes.json naming only 1 leaves the rest unnamed.
    const present = new Set(fixture.frames.flatMap((f) => Array.from(f.label)).filter((id) => id > 1));
    const scan = await load(withFile(toScanNet(fixture), 'classes.json', JSON.stringify(OWN.slice(0, 1))));
    const shown = [...present].sort((a, b) => a - b).slice(0, 8);
    expect(scan.warnings.join('\n')).toContain(`label ids ${shown.join(', ')}`);
    expect(scan.warnings.join('\n')).toMatch(/have no name in classes\.json: their pixels are not scored/);
    expect((await load(toScanNet(fixture))).warnings.join()).not.toMatch(/have no name/);
  });
});

describe('a broken classes.json', () => {
  it('that is not JSON is a warning naming the file; ScanNet keeps its NYU40 names', async () => {
    const scan = await load(withFile(toScanNet(fixture), 'classes.json', '[{"id": 1,'));
    expect(scan.warnings.join('\n')).toMatch(/^classes\.json: is not valid JSON .*; its class names are not used$/m);
    expect(scan.classes).toHaveLength(40);
  });

  it('that is not a list is a warning naming the file', async () => {
    const scan = await load(withFile(toNiceSlam(fixture), 'classes.json', '{"1": "bed"}'));
    expect(scan.warnings.join('\n')).toMatch(/^classes\.json: should hold a list \[\{id, name, known\}\]/m);
    expect(scan.classes).toBeUndefined();
  });

  it('bad entries are skipped, each named, the others kept', () => {
    const warnings: string[] = [];
    const classes = parseClassNames(
      JSON.stringify([
        { id: 1, name: 'bed' },
        { id: 2.5, name: 'half' },
        { id: 3, name: '' },
        { id: 4, name: 'chair', known: 'yes' },
        { id: 1, name: 'again' },
        { id: 5, name: 'bed' },
        'sofa',
        { id: 6, name: 'sofa', known: false },
      ]),
      'classes.json',
      warnings,
    );
    expect(classes).toEqual([
      { id: 1, name: 'bed' },
      { id: 6, name: 'sofa', known: false },
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toBe(
      'classes.json: skipped 6 of 8 entries: [1] "id" should be an integer 0..65535, found 2.5; ' +
        '[2] "name" should be a non-empty string, found ""; [3] "known" should be true or false, found "yes"; ...',
    );
    const repeats: string[] = [];
    parseClassNames(
      JSON.stringify([
        { id: 1, name: 'bed' },
        { id: 1, name: 'again' },
        { id: 5, name: 'bed' },
      ]),
      'classes.json',
      repeats,
    );
    expect(repeats[0]).toBe('classes.json: skipped 2 of 3 entries: [1] repeats id 1; [2] repeats the name "bed"');
  });
});

describe('npm run inspect-scan --json', () => {
  it('shows the classes of a ScanNet export with a classes.json: id, name, known (null where the scan does not say)', async () => {
    const r = await runCli(['inspect-scan', writeFiles(withFile(toScanNet(fixture), 'classes.json', JSON.stringify(OWN))), '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ format: 'scannet', has_labels: true });
    expect(JSON.parse(r.stdout).classes).toEqual([
      { id: 1, name: 'bed', known: true },
      { id: 4, name: 'chair', known: false },
      { id: 10, name: 'table', known: null },
    ]);
  });
});

const SCANNET = 'data/scannet-scene0113_00';

describe.skipIf(!hasShared(SCANNET))('the real ScanNet scan (scene0113_00)', () => {
  it('takes the names and split of its classes.json, which names every label id it has', async () => {
    const scan = await loadScan(await openScanPath(sharedPath(SCANNET)), { decodeImage: decodeImageNode, maxFrames: 4 });
    expect(scan.hasLabels).toBe(true);
    // Its ids are not NYU40's (3 is chair, not cabinet): its classes.json overrides the default.
    expect(scan.classes?.find((c) => c.name === 'chair')).toEqual({ id: 3, name: 'chair', known: true });
    expect(scan.classes?.find((c) => c.name === 'table')).toEqual({ id: 5, name: 'table', known: true });
    expect(scan.classes?.filter((c) => c.known === false).map((c) => c.name)).toEqual([
      'window',
      'picture',
      'curtain',
      'showercurtain',
      'garbagebin',
    ]);
    expect(scan.warnings.join()).not.toMatch(/classes\.json|have no name/);
    // So discovery's score has classes to count: the known split from the file, not the segmenter.
    const evaluated = evaluatedClasses(scan.classes!, [{ name: 'chair' }]);
    expect(evaluated.find((c) => c.name === 'table')?.known).toBe(true);
  }, 60_000);
});
