/**
 * Shaders composed from several files: every file's `// requires:` header names exactly what it
 * uses of the other files, and composing refuses a missing or a twice-declared name with a message
 * that names the files, before Dawn sees the code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composeWgsl } from '../../src/gpu/wgsl-compose.ts';
import { moduleDeclarations, referencedNames, requiredNames } from '../../src/gpu/wgsl-reflection.ts';

const SHADERS = new URL('../../shaders/', import.meta.url);
const files = new Map(
  readdirSync(SHADERS)
    .filter((f) => f.endsWith('.wgsl'))
    .map((f) => [f, readFileSync(new URL(f, SHADERS), 'utf8')]),
);

/** Module-scope names a file uses but does not declare. */
function freeNames(code: string): Set<string> {
  const declarations = moduleDeclarations(code);
  const own = new Set(declarations.map((d) => d.name));
  const free = new Set<string>();
  for (const d of declarations) for (const name of referencedNames(d.text)) if (!own.has(name)) free.add(name);
  return free;
}

describe('WGSL composition', () => {
  it('finds the shader files', () => {
    expect([...files.keys()]).toEqual(expect.arrayContaining(['ray-march.wgsl', 'ray-sampler.wgsl', 'view-rays.wgsl', 'random.wgsl']));
  });

  it.each([...files.keys()])("%s: the requires: header lists exactly the other files' names it uses", (file) => {
    const elsewhere = new Set<string>();
    for (const [other, code] of files) if (other !== file) for (const d of moduleDeclarations(code)) elsewhere.add(d.name);
    const uses = [...freeNames(files.get(file)!)].filter((n) => elsewhere.has(n)).sort();
    expect(requiredNames(files.get(file)!).sort()).toEqual(uses);
  });

  it('reads what an item uses, not its locals, parameters, members or fields', () => {
    const used = referencedNames(`fn f(a: u32, p: ptr<function, S>) -> Out {
      let b: f32 = g(a) + params.scale;   // a comment naming hidden
      var<function> c = (*p).count;
      for (var i = 0u; i < N; i++) { c += i; }
      return Out(b, c > LIMIT);
    }`);
    expect([...used].sort()).toEqual(['LIMIT', 'N', 'Out', 'S', 'f32', 'function', 'g', 'params', 'ptr', 'u32'].sort());
  });

  it('composes the parts in order, and refuses a requirement no part meets', () => {
    const library = '// requires: occupancy\nfn occupied(c: u32) -> bool { return occupancy[c] != 0u; }\n';
    const kernel = '@group(0) @binding(0) var<storage, read> occupancy: array<u32>;\n';
    const code = composeWgsl('test', { 'lib.wgsl': library, 'kernel.wgsl': kernel });
    expect(code.indexOf('fn occupied')).toBeLessThan(code.indexOf('var<storage, read> occupancy'));
    expect(() => composeWgsl('test kernel', { 'lib.wgsl': library, 'other.wgsl': 'fn unrelated() {}' })).toThrow(
      "test kernel: lib.wgsl requires 'occupancy', which none of other.wgsl declares",
    );
  });

  it('refuses a name declared by two parts', () => {
    expect(() =>
      composeWgsl('test kernel', {
        'ray-march.wgsl': files.get('ray-march.wgsl')!,
        'ray-sampler.wgsl': files.get('ray-sampler.wgsl')!,
        'copy.wgsl': 'fn sh16(d: vec3f) -> f32 { return d.x; }',
        'random.wgsl': files.get('random.wgsl')!,
      }),
    ).toThrow("test kernel: 'sh16' is declared by both ray-march.wgsl and copy.wgsl");
  });

  it("refuses a kernel composed without a library it requires (the view renderer's march)", () => {
    expect(() => composeWgsl('view-rays', { 'view-rays.wgsl': files.get('view-rays.wgsl')! })).toThrow(
      "view-rays: view-rays.wgsl requires 'Camera', which none of the other parts (there are none) declares",
    );
  });
});
