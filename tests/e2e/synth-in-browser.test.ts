import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RoomTracer } from '../../src/synth/render-frame.ts';
import { buildWorld, frameFiles, metadataFiles } from '../../src/synth/synthetic-scan.ts';
import { usePage } from '../helpers/browser-page.ts';

describe('the generator in the page', () => {
  const page = usePage();

  it('renders a scan in Web Workers with the same bytes as Node', async () => {
    const t = page();
    const options = { preset: 'tiny' as const, seed: 5, frames: 6 };
    const browser = await t.page.evaluate((o) => window.neurncd.synth.digest(o), options);

    const world = buildWorld(options);
    const tracer = new RoomTracer(world.scene);
    const node: Record<string, string> = {};
    const files = metadataFiles(world);
    world.cameras.forEach((c, i) => frameFiles(i, tracer.render(c)).forEach((bytes, path) => files.set(path, bytes)));
    for (const [path, bytes] of files) node[path] = createHash('sha256').update(bytes).digest('hex');

    expect(Object.keys(browser).sort()).toEqual(Object.keys(node).sort());
    expect(browser).toEqual(node);
    expect(t.foreignRequests()).toEqual([]);
  });
});
