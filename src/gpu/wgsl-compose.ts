/**
 * One WGSL module from several files. WGSL has no imports: shared code (dispatch.wgsl,
 * random.wgsl, ray-march.wgsl...) is pasted next to the kernels that use it. Each file lists in
 * a `// requires:` header the names it uses that another file declares (a library may require
 * something of the kernel that includes it: ray-march.wgsl's `occupancy`). Composing checks both
 * ways before Dawn sees the code: a required name that no part declares, or a name two parts
 * declare, is an error that names the parts.
 */
import { moduleDeclarations, requiredNames } from './wgsl-reflection.ts';

/** `parts` (file name -> WGSL) as one module, in the given order. Throws if a requirement is unmet or a name is declared twice. */
export function composeWgsl(label: string, parts: Record<string, string>): string {
  const declaredBy = new Map<string, string>();
  for (const [part, code] of Object.entries(parts)) {
    for (const { name } of moduleDeclarations(code)) {
      const other = declaredBy.get(name);
      if (other !== undefined) throw new Error(`${label}: '${name}' is declared by both ${other} and ${part}`);
      declaredBy.set(name, part);
    }
  }
  for (const [part, code] of Object.entries(parts)) {
    for (const name of requiredNames(code)) {
      const by = declaredBy.get(name);
      if (by === undefined || by === part) {
        const others = Object.keys(parts).filter((p) => p !== part);
        throw new Error(
          `${label}: ${part} requires '${name}', which none of ${others.join(', ') || 'the other parts (there are none)'} declares`,
        );
      }
    }
  }
  return Object.entries(parts)
    .map(([part, code]) => `// ---- ${part} ----\n${code}`)
    .join('\n');
}
