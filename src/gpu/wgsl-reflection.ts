/**
 * What a WGSL module declares, read from its text: its top-level declarations (and which of them a
 * function uses), its group-0 bindings by name, its structs' members, its `// requires:` header.
 * Enough of WGSL for the contracts between kernels and their TypeScript drivers, not a compiler:
 * Dawn still has the last word on whether the code is valid.
 */

export type DeclarationKind = 'fn' | 'struct' | 'var' | 'const' | 'override' | 'alias';

export interface WgslDeclaration {
  kind: DeclarationKind;
  name: string;
  /** The declaration without comments, attributes included. */
  text: string;
  /** `@binding(N)` of a module-scope variable. */
  binding?: number;
  /** `@group(N)` of a module-scope variable. */
  group?: number;
}

export interface WgslStructMember {
  name: string;
  /** The type as written, without spaces (`array<Level,MAX_LEVELS>`). */
  type: string;
}

/** `code` with comments replaced by spaces (line breaks kept, so positions still match lines). */
export function stripComments(code: string): string {
  let out = '';
  let i = 0;
  while (i < code.length) {
    if (code.startsWith('//', i)) {
      while (i < code.length && code[i] !== '\n') i++;
    } else if (code.startsWith('/*', i)) {
      // Block comments nest in WGSL.
      let depth = 0;
      do {
        if (code.startsWith('/*', i)) (depth++, (i += 2), (out += '  '));
        else if (code.startsWith('*/', i)) (depth--, (i += 2), (out += '  '));
        else ((out += code[i] === '\n' ? '\n' : ' '), i++);
      } while (depth > 0 && i < code.length);
    } else out += code[i++];
  }
  return out;
}

/** The module's top-level items (declarations, directives), comments removed. */
function topLevelItems(code: string): string[] {
  const text = stripComments(code);
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      // A function's or a struct's body closes the item; nothing else at module scope has braces.
      if (c === '}' && depth === 0) (items.push(text.slice(start, i + 1)), (start = i + 1));
    } else if (c === ';' && depth === 0) (items.push(text.slice(start, i + 1)), (start = i + 1));
  }
  if (text.slice(start).trim() !== '') items.push(text.slice(start));
  return items.map((s) => s.trim()).filter((s) => s !== '' && s !== ';');
}

const DECLARATION = /^((?:@\w+(?:\([^)]*\))?\s*)*)(fn|struct|var|const|override|alias)\b\s*(?:<[^>]*>)?\s*([A-Za-z_]\w*)/;

/** Read once per module text: every kernel of a module (the mlp has dozens) asks again. */
const declarationsOf = new Map<string, readonly WgslDeclaration[]>();

/** Every top-level declaration of `code`, in order. */
export function moduleDeclarations(code: string): readonly WgslDeclaration[] {
  let known = declarationsOf.get(code);
  if (!known) declarationsOf.set(code, (known = readDeclarations(code)));
  return known;
}

function readDeclarations(code: string): WgslDeclaration[] {
  const out: WgslDeclaration[] = [];
  for (const text of topLevelItems(code)) {
    const m = DECLARATION.exec(text);
    if (!m) {
      if (/^(enable|requires|diagnostic|const_assert)\b/.test(text)) continue;
      throw new SyntaxError(`WGSL: cannot read the top-level item "${text.slice(0, 60)}"`);
    }
    const attributes = m[1]!;
    const declaration: WgslDeclaration = { kind: m[2] as DeclarationKind, name: m[3]!, text };
    const binding = /@binding\(\s*(\d+)\s*\)/.exec(attributes);
    const group = /@group\(\s*(\d+)\s*\)/.exec(attributes);
    if (binding) declaration.binding = Number(binding[1]);
    if (group) declaration.group = Number(group[1]);
    out.push(declaration);
  }
  return out;
}

/** Binding number of every group-0 resource, by variable name. */
export function bindingNumbers(code: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of moduleDeclarations(code)) {
    if (d.kind === 'var' && d.binding !== undefined && (d.group ?? 0) === 0) out.set(d.name, d.binding);
  }
  return out;
}

/** The members of struct `name`, in order. */
export function structMembers(code: string, name: string): WgslStructMember[] {
  const d = moduleDeclarations(code).find((x) => x.kind === 'struct' && x.name === name);
  if (!d) throw new Error(`WGSL: no struct ${name}`);
  const body = d.text.slice(d.text.indexOf('{') + 1, d.text.lastIndexOf('}'));
  return splitTopLevel(body, ',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((member) => {
      const m = /^((?:@\w+(?:\([^)]*\))?\s*)*)([A-Za-z_]\w*)\s*:\s*([\s\S]+)$/.exec(member);
      if (!m) throw new SyntaxError(`WGSL: cannot read member "${member}" of struct ${name}`);
      if (m[1]!.trim() !== '') throw new SyntaxError(`WGSL: struct ${name}: attributes on members (${m[1]!.trim()}) are not supported`);
      return { name: m[2]!, type: m[3]!.replace(/\s+/g, '') };
    });
}

/** Splits at `separator` outside (), [], {} and <> (template lists). */
function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if ('([{<'.includes(c)) depth++;
    else if (')]}>'.includes(c)) depth--;
    else if (c === separator && depth === 0) (parts.push(text.slice(start, i)), (start = i + 1));
  }
  parts.push(text.slice(start));
  return parts;
}

/** The value of `const name = <integer>` (with or without a type and a u/i suffix), for array lengths. */
export function integerConstant(code: string, name: string): number {
  const d = moduleDeclarations(code).find((x) => x.kind === 'const' && x.name === name);
  const m = d && /=\s*(\d+)[ui]?\s*;$/.exec(d.text);
  if (!m) throw new Error(`WGSL: no integer const ${name}`);
  return Number(m[1]);
}

/**
 * The identifiers an item refers to: names not declared in it (locals, parameters, members) and
 * not reached through `.`. A local that shadows a module name hides it for the whole item.
 */
export function referencedNames(text: string): Set<string> {
  const tokens = stripComments(text).match(/[A-Za-z_]\w*|\d[\w.]*|->|<=|>=|<<|>>|\S/g) ?? [];
  const declared = new Set<string>();
  const used = new Set<string>();
  tokens.forEach((token, k) => {
    if (!/^[A-Za-z_]/.test(token) || KEYWORDS.has(token)) return;
    const before = tokens[k - 1];
    if (before === '.' || before === '@') return;
    // `let x`, `var x`, `const x`, `fn f`, `struct S`..., `var<storage, read> x`, and `x:` (members, parameters, typed lets).
    let declares = tokens[k + 1] === ':' || DECLARING.has(before ?? '');
    if (before === '>') {
      let open = k - 2;
      while (open > 0 && (tokens[open] === ',' || /^[a-z_]\w*$/.test(tokens[open]!))) open--;
      declares = tokens[open] === '<' && tokens[open - 1] === 'var';
    }
    (declares ? declared : used).add(token);
  });
  for (const name of declared) used.delete(name);
  return used;
}

const DECLARING = new Set(['let', 'var', 'const', 'override', 'fn', 'struct', 'alias']);
const KEYWORDS = new Set([
  ...DECLARING,
  ...['if', 'else', 'for', 'while', 'loop', 'continuing', 'break', 'continue', 'return', 'switch', 'case', 'default'],
  ...['discard', 'true', 'false'],
]);

const referencesOf = new WeakMap<WgslDeclaration, Set<string>>();

/** Module-scope names that the entry point `entry` uses, through every function it calls. */
export function namesUsedBy(code: string, entry: string): Set<string> {
  const declarations = new Map(moduleDeclarations(code).map((d) => [d.name, d]));
  if (declarations.get(entry)?.kind !== 'fn') throw new Error(`WGSL: no function ${entry}`);
  const seen = new Set<string>([entry]);
  const pending = [entry];
  while (pending.length > 0) {
    const d = declarations.get(pending.pop()!)!;
    let names = referencesOf.get(d);
    if (!names) referencesOf.set(d, (names = referencedNames(d.text)));
    for (const name of names) {
      const used = declarations.get(name);
      if (!used || seen.has(name)) continue;
      seen.add(name);
      if (used.kind === 'fn') pending.push(name);
    }
  }
  return seen;
}

/**
 * The names a module's `// requires:` header lines list: what it uses and another part of the
 * composition declares. Parenthesised notes are not names: `// requires: sh16, occupied (ray-march.wgsl)`.
 */
export function requiredNames(code: string): string[] {
  const names: string[] = [];
  for (const m of code.matchAll(/^\s*\/\/\s*requires:(.*)$/gm)) {
    for (const name of m[1]!
      .replace(/\([^)]*\)/g, ' ')
      .split(/[\s,;]+/)
      .filter((s) => s !== '')) {
      if (!/^[A-Za-z_]\w*$/.test(name)) throw new SyntaxError(`WGSL: "${name}" in a requires: header is not a name`);
      names.push(name);
    }
  }
  return names;
}
