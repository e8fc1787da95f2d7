/**
 * The byte layout of a WGSL struct that the host fills (uniforms, camera records), declared once
 * in TypeScript: its members' WGSL types in order, keyed by their WGSL names. Offsets follow from
 * WGSL's alignment rules (a vec3f starts on 16 bytes, a struct is as aligned as its most aligned
 * member, an array's stride is its element's size rounded up to its alignment), so a packer never
 * counts words by hand. Padding the WGSL rules do not add (a uniform array must start on 16 bytes)
 * is a member named `_...`. tests/unit/uniform-layout.test.ts checks every declared layout against the
 * struct in its shader, member by member, and against what Dawn reads back.
 */

export type WgslScalarType = 'f32' | 'u32' | 'i32';
export type WgslVectorType = `vec${2 | 3 | 4}${'f' | 'u' | 'i'}`;
export type WgslType = WgslScalarType | WgslVectorType | WgslStruct<Members> | WgslArray<WgslType>;

export interface WgslArray<E extends WgslType> {
  readonly element: E;
  readonly length: number;
}

type Members = Record<string, WgslType>;

/** The value a member of type T takes: a number, a vector's components, a struct's values, an array's elements. */
export type WgslValue<T> = T extends WgslScalarType
  ? number
  : T extends WgslVectorType
    ? readonly number[]
    : T extends WgslStruct<infer M>
      ? StructValues<M>
      : T extends WgslArray<infer E>
        ? readonly WgslValue<E>[]
        : never;

/** Values by member name; members named `_...` are padding, always zero, and take no value. */
export type StructValues<M extends Members> = { readonly [K in keyof M as K extends `_${string}` ? never : K]: WgslValue<M[K]> };

/** `array<element, length>`; packing fills the elements given and leaves the rest zero. */
export function arrayOf<E extends WgslType>(element: E, length: number): WgslArray<E> {
  if (!Number.isInteger(length) || length < 1) throw new RangeError(`array length must be a positive integer, got ${length}`);
  return { element, length };
}

const roundUp = (align: number, n: number): number => Math.ceil(n / align) * align;

export function isVectorType(t: WgslType): t is WgslVectorType {
  return typeof t === 'string' && t.startsWith('vec');
}

/** Size and alignment in bytes (WGSL's SizeOf and AlignOf). */
export function sizeAndAlignment(t: WgslType): { size: number; align: number } {
  if (t instanceof WgslStruct) return { size: t.size, align: t.align };
  if (typeof t === 'object') {
    const e = sizeAndAlignment(t.element);
    return { size: t.length * roundUp(e.align, e.size), align: e.align };
  }
  if (isVectorType(t)) {
    const n = Number(t[3]);
    return { size: 4 * n, align: n === 2 ? 8 : 16 };
  }
  return { size: 4, align: 4 };
}

export class WgslStruct<M extends Members> {
  /** Byte offset of each member. */
  readonly offsets: { readonly [K in keyof M]: number };
  readonly size: number;
  readonly align: number;

  /** `source` is the shader file that declares the struct (for messages and the contract test). */
  constructor(
    readonly source: string,
    readonly name: string,
    readonly members: M,
  ) {
    let end = 0;
    let align = 1;
    const offsets: Record<string, number> = {};
    for (const [member, type] of Object.entries(members)) {
      const m = sizeAndAlignment(type);
      offsets[member] = roundUp(m.align, end);
      end = offsets[member] + m.size;
      align = Math.max(align, m.align);
    }
    this.offsets = offsets as { [K in keyof M]: number };
    this.align = align;
    this.size = roundUp(align, end);
  }

  /** The struct's bytes, from a value for every member. */
  pack(values: StructValues<M>): ArrayBuffer {
    const data = new ArrayBuffer(this.size);
    this.write(new DataView(data), 0, values);
    return data;
  }

  /** Consecutive structs, as `array<Struct>` holds them. */
  packArray(values: readonly StructValues<M>[]): ArrayBuffer {
    const stride = roundUp(this.align, this.size);
    const data = new ArrayBuffer(values.length * stride);
    const view = new DataView(data);
    values.forEach((v, i) => this.write(view, i * stride, v, `${this.name}[${i}]`));
    return data;
  }

  /** Writes `values` at byte `offset` of `view`. Throws, naming the member, on a missing, unknown or out-of-range value. */
  write(view: DataView, offset: number, values: StructValues<M>, path: string = this.name): void {
    if (typeof values !== 'object' || values === null) throw new TypeError(`${path}: expected the struct's values, got ${String(values)}`);
    for (const key of Object.keys(values)) {
      if (!(key in this.members) || key.startsWith('_'))
        throw new TypeError(`${path}: ${this.name} (${this.source}) has no member '${key}'`);
    }
    for (const [member, type] of Object.entries(this.members)) {
      if (member.startsWith('_')) continue;
      const value = (values as Record<string, unknown>)[member];
      if (value === undefined) throw new TypeError(`${path}.${member} is missing`);
      writeValue(view, offset + this.offsets[member]!, type, value, `${path}.${member}`);
    }
  }
}

function writeValue(view: DataView, offset: number, type: WgslType, value: unknown, path: string): void {
  if (type instanceof WgslStruct) return type.write(view, offset, value as StructValues<Members>, path);
  if (typeof type === 'object') {
    const values = value as readonly unknown[];
    if (!Array.isArray(values) || values.length > type.length)
      throw new RangeError(
        `${path}: expected at most ${type.length} elements, got ${Array.isArray(values) ? values.length : String(value)}`,
      );
    const e = sizeAndAlignment(type.element);
    values.forEach((v, i) => writeValue(view, offset + i * roundUp(e.align, e.size), type.element, v, `${path}[${i}]`));
    return;
  }
  if (isVectorType(type)) {
    const n = Number(type[3]);
    const scalar = { f: 'f32', u: 'u32', i: 'i32' }[type[4]!] as WgslScalarType;
    const values = value as ArrayLike<unknown>;
    if (typeof values !== 'object' || values === null || values.length !== n)
      throw new RangeError(`${path}: a ${type} takes ${n} numbers, got ${String(value)}`);
    for (let i = 0; i < n; i++) writeValue(view, offset + 4 * i, scalar, values[i], `${path}[${i}]`);
    return;
  }
  if (typeof value !== 'number') throw new TypeError(`${path}: a ${type} takes a number, got ${String(value)}`);
  if (type === 'f32') return view.setFloat32(offset, value, true);
  const [low, high] = type === 'u32' ? [0, 2 ** 32] : [-(2 ** 31), 2 ** 31];
  if (!Number.isInteger(value) || value < low || value >= high) throw new RangeError(`${path}: ${value} is not a ${type}`);
  if (type === 'u32') view.setUint32(offset, value, true);
  else view.setInt32(offset, value, true);
}
