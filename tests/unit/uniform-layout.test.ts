/**
 * Host-filled WGSL structs and their TypeScript layouts: the layout rules give WGSL's offsets; every
 * declared layout has the members, types and order of the struct in its shader, and Dawn reads
 * back every value where the packer put it; every struct the host fills has a layout. Changing
 * either side alone fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ADAM_PARAMS } from '../../src/field/adam.ts';
import { FIELD_GLUE_PARAMS } from '../../src/field/embedding-field.ts';
import { HASH_GRID_LEVEL, HASH_GRID_PARAMS } from '../../src/field/hash-grid.ts';
import { MLP_PARAMS } from '../../src/field/mlp.ts';
import { OCCUPANCY_PARAMS } from '../../src/field/occupancy-grid.ts';
import { SAMPLER_PARAMS } from '../../src/field/ray-sampler.ts';
import { CAMERA } from '../../src/field/training-frames.ts';
import { VIEW_CHUNK, VIEW_PARAMS } from '../../src/field/view-renderer.ts';
import { VOLUME_RENDER_PARAMS } from '../../src/field/volume-renderer.ts';
import { createStorageBuffer, createUniformBuffer, readBuffer } from '../../src/gpu/buffer-io.ts';
import { ComputeKernel } from '../../src/gpu/compute-kernel.ts';
import { PipelineCache } from '../../src/gpu/pipeline-cache.ts';
import { PREFIX_SUM_PARAMS } from '../../src/gpu/prefix-sum.ts';
import { arrayOf, isVectorType, WgslStruct, type WgslType } from '../../src/gpu/uniform-layout.ts';
import { integerConstant, moduleDeclarations, referencedNames, structMembers } from '../../src/gpu/wgsl-reflection.ts';
import { expectNoGpuErrors, getTestGpu } from '../helpers/node-gpu.ts';

type AnyStruct = WgslStruct<Record<string, WgslType>>;

const LAYOUTS: AnyStruct[] = [
  ADAM_PARAMS,
  FIELD_GLUE_PARAMS,
  HASH_GRID_LEVEL,
  HASH_GRID_PARAMS,
  MLP_PARAMS,
  OCCUPANCY_PARAMS,
  PREFIX_SUM_PARAMS,
  SAMPLER_PARAMS,
  CAMERA,
  VIEW_PARAMS,
  VIEW_CHUNK,
  VOLUME_RENDER_PARAMS,
];

const SHADERS = new URL('../../shaders/', import.meta.url);
const shaderFiles = readdirSync(SHADERS).filter((f) => f.endsWith('.wgsl'));
const source = (file: string): string => readFileSync(new URL(file, SHADERS), 'utf8');

/** A layout type as WGSL spells it (array lengths as numbers). */
function spelling(t: WgslType): string {
  if (t instanceof WgslStruct) return t.name;
  if (typeof t === 'object') return `array<${spelling(t.element)},${t.length}>`;
  return t;
}

/** A WGSL member type in the same spelling: short vector names, array lengths resolved. */
function normalised(type: string, code: string): string {
  return type
    .replace(/vec([234])<([fui])32>/g, 'vec$1$2')
    .replace(/,([A-Za-z_]\w*)>/g, (_, name: string) => `,${integerConstant(code, name)}>`)
    .replace(/,(\d+)[ui]?>/g, ',$1>');
}

/** Where `layout` and the struct of its name in `code` disagree (nested structs included). */
function disagreements(layout: AnyStruct, code: string): string[] {
  const wgsl = structMembers(code, layout.name);
  const ts = Object.entries(layout.members);
  const where = `${layout.source} struct ${layout.name}`;
  if (wgsl.map((m) => m.name).join() !== ts.map(([name]) => name).join())
    return [`${where}: WGSL has members ${wgsl.map((m) => m.name).join(', ')}; TypeScript ${ts.map(([n]) => n).join(', ')}`];
  return ts.flatMap(([name, type], i) => {
    const declared = normalised(wgsl[i]!.type, code);
    if (declared !== spelling(type)) return [`${where}: ${name} is ${declared} in WGSL, ${spelling(type)} in TypeScript`];
    const nested = type instanceof WgslStruct ? type : typeof type === 'object' && type.element instanceof WgslStruct ? type.element : null;
    return nested ? disagreements(nested as AnyStruct, code) : [];
  });
}

/** Distinct values for every leaf of a struct, with the WGSL expression that reads each and its expected bits. */
function probe(layout: AnyStruct): { values: unknown; reads: { expr: string; bits: number }[] } {
  const reads: { expr: string; bits: number }[] = [];
  const f32Bits = (x: number): number => new Uint32Array(new Float32Array([x]).buffer)[0]!;
  const scalar = (type: string, expr: string, padding: boolean): number => {
    const k = reads.length;
    const value = padding ? 0 : type === 'f32' ? k + 0.25 : type === 'i32' ? -(k + 1) : 1000 + k;
    reads.push({ expr, bits: type === 'f32' ? f32Bits(value) : value >>> 0 });
    return value;
  };
  const walk = (type: WgslType, expr: string, padding: boolean): unknown => {
    if (type instanceof WgslStruct) {
      const out: Record<string, unknown> = {};
      for (const [name, t] of Object.entries(type.members)) {
        const v = walk(t, `${expr}.${name}`, padding || name.startsWith('_'));
        if (!name.startsWith('_')) out[name] = v;
      }
      return out;
    }
    if (typeof type === 'object') return Array.from({ length: type.length }, (_, i) => walk(type.element, `${expr}[${i}]`, padding));
    if (isVectorType(type)) {
      const s = { f: 'f32', u: 'u32', i: 'i32' }[type[4]!]!;
      return Array.from({ length: Number(type[3]) }, (_, i) => scalar(s, `${expr}[${i}]`, padding));
    }
    return scalar(type, expr, padding);
  };
  return { values: walk(layout, 'u', false), reads };
}

/** The struct (and the structs and consts it uses) as declared in its shader, with a kernel that copies every leaf out. */
function probeShader(layout: AnyStruct, reads: { expr: string }[]): string {
  const declarations = moduleDeclarations(source(layout.source));
  const needed = new Set<string>([layout.name]);
  for (let grew = true; grew;) {
    grew = false;
    for (const d of declarations)
      if (needed.has(d.name))
        for (const n of referencedNames(d.text))
          if (!needed.has(n) && declarations.some((x) => x.name === n && (x.kind === 'struct' || x.kind === 'const'))) {
            needed.add(n);
            grew = true;
          }
  }
  const copied = declarations.filter((d) => needed.has(d.name)).map((d) => d.text);
  return `${copied.join('\n')}
@group(0) @binding(0) var<uniform> u: ${layout.name};
@group(0) @binding(1) var<storage, read_write> leaves: array<u32>;
@compute @workgroup_size(1)
fn read_leaves() {
${reads.map((r, i) => `  leaves[${i}] = bitcast<u32>(${r.expr});`).join('\n')}
}`;
}

describe('uniform layouts', () => {
  it("places members by WGSL's alignment rules", () => {
    expect(VOLUME_RENDER_PARAMS.offsets).toMatchObject({ early_stop: 8, background: 16, huber_delta: 28, samples: 44, seed: 52 });
    // A struct's size rounds up to its alignment (16, from the vec3f).
    expect(VOLUME_RENDER_PARAMS.size).toBe(64);
    const inner = new WgslStruct('test', 'Inner', { x: 'vec3f' });
    const outer = new WgslStruct('test', 'Outer', { a: 'f32', b: 'vec2f', c: 'u32', d: arrayOf(inner, 2), e: 'f32' });
    expect(outer.offsets).toEqual({ a: 0, b: 8, c: 16, d: 32, e: 64 });
    expect([inner.size, inner.align, outer.size, outer.align]).toEqual([16, 16, 80, 16]);
    expect(HASH_GRID_PARAMS.offsets.level).toBe(16);
    expect(HASH_GRID_PARAMS.size).toBe(16 + 32 * 16);
    expect(CAMERA.size).toBe(80);
  });

  it('packs values by member name and refuses missing, unknown or unrepresentable ones', () => {
    const bytes = VOLUME_RENDER_PARAMS.pack({
      rays: 7,
      k: 3,
      early_stop: 0.5,
      background: [0.25, 0.5, 1],
      huber_delta: 0.1,
      depth_weight: 2,
      kl_weight: 3,
      loss_scale: 4,
      samples: 9,
      random_background: 1,
      seed: 0xffffffff,
    });
    const f = new Float32Array(bytes);
    const u = new Uint32Array(bytes);
    expect([u[0], u[1], f[2], f[4], f[5], f[6], f[8], u[11], u[12], u[13]]).toEqual([7, 3, 0.5, 0.25, 0.5, 1, 2, 9, 1, 0xffffffff]);
    const ok = { n: 1, blocks: 2 };
    expect(() => PREFIX_SUM_PARAMS.pack({ n: 1 } as typeof ok)).toThrow('Params.blocks is missing');
    expect(() => PREFIX_SUM_PARAMS.pack({ ...ok, blockz: 2 } as typeof ok)).toThrow("Params (prefix-sum.wgsl) has no member 'blockz'");
    expect(() => PREFIX_SUM_PARAMS.pack({ ...ok, n: -1 })).toThrow('Params.n: -1 is not a u32');
    expect(() => PREFIX_SUM_PARAMS.pack({ ...ok, n: 1.5 })).toThrow('Params.n: 1.5 is not a u32');
    expect(() => HASH_GRID_PARAMS.pack({ count: 1, levels: 1, dense_levels: 0, _pad: 0 } as never)).toThrow("has no member '_pad'");
    expect(() => CAMERA.pack({ row0: [1, 2, 3], row1: [], row2: [], k: [], size: [] })).toThrow('Camera.row0: a vec4f takes 4 numbers');
  });

  it.each(LAYOUTS.map((l) => [`${l.source} ${l.name}`, l] as const))(
    "%s: the WGSL struct has the layout's members, types and order",
    (_, layout) => {
      expect(disagreements(layout, source(layout.source))).toEqual([]);
    },
  );

  it('notices when the shader changes alone', () => {
    const adam = source('adam.wgsl');
    const swapped = adam.replace('  beta1: f32,\n  beta2: f32,', '  beta2: f32,\n  beta1: f32,');
    expect(swapped).not.toBe(adam);
    expect(disagreements(ADAM_PARAMS, swapped)).toEqual([
      'adam.wgsl struct Params: WGSL has members count, lr_t, eps_t, beta2, beta1, weight_decay; TypeScript count, lr_t, eps_t, beta1, beta2, weight_decay',
    ]);
    const retyped = source('hash-grid.wgsl').replace('  offset: u32,', '  offset: f32,');
    expect(disagreements(HASH_GRID_PARAMS, retyped)).toEqual(['hash-grid.wgsl struct Level: offset is f32 in WGSL, u32 in TypeScript']);
    const shorter = source('hash-grid.wgsl').replace('const MAX_LEVELS: u32 = 32u;', 'const MAX_LEVELS: u32 = 16u;');
    expect(disagreements(HASH_GRID_PARAMS, shorter)).toEqual([
      'hash-grid.wgsl struct Params: level is array<Level,16> in WGSL, array<Level,32> in TypeScript',
    ]);
  });

  it('has a layout for every struct the host fills (uniforms, and storage arrays of records)', () => {
    const declared = new Set(LAYOUTS.map((l) => `${l.source} ${l.name}`));
    const declares = (file: string, name: string): boolean =>
      moduleDeclarations(source(file)).some((d) => d.kind === 'struct' && d.name === name);
    const filled = new Set<string>();
    // A struct is the host's to fill where a binding holds it, and where a filled struct holds it.
    const fill = (file: string, type: string): void => {
      const owner = declares(file, type) ? file : shaderFiles.find((f) => declares(f, type));
      if (!owner || filled.has(`${owner} ${type}`)) return;
      filled.add(`${owner} ${type}`);
      for (const m of structMembers(source(owner), type)) fill(owner, /^(?:array<)?([A-Za-z_]\w*)/.exec(m.type)![1]!);
    };
    for (const file of shaderFiles)
      for (const d of moduleDeclarations(source(file)))
        if (d.kind === 'var' && d.binding !== undefined) fill(file, /:\s*(?:array<)?\s*([A-Za-z_]\w*)/.exec(d.text)![1]!);
    expect(filled).toContain('hash-grid.wgsl Level');
    for (const s of filled) expect(declared, `${s} is filled by the host but has no layout`).toContain(s);
  });

  it.each(LAYOUTS.map((l) => [`${l.source} ${l.name}`, l] as const))(
    '%s: Dawn reads every value where the layout packed it',
    async (_, layout) => {
      const { device } = await getTestGpu();
      const { values, reads } = probe(layout);
      await expectNoGpuErrors(device, async () => {
        const kernel = new ComputeKernel(new PipelineCache(device), `probe ${layout.name}`, probeShader(layout, reads), 'read_leaves');
        const uniforms = createUniformBuffer(device, layout.pack(values as never), 'probe uniforms');
        const leaves = createStorageBuffer(device, reads.length * 4, 'probe leaves');
        const encoder = device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        kernel.dispatch(pass, kernel.bind({ u: uniforms, leaves }), 1);
        pass.end();
        device.queue.submit([encoder.finish()]);
        const got = new Uint32Array(await readBuffer(device, leaves));
        expect([...got]).toEqual(reads.map((r) => r.bits));
      });
    },
  );
});
