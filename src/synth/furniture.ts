/**
 * Class-typical furniture built from boxes, spheres and cylinders. Each builder works in the
 * item's own frame: origin on the floor at the centre of its footprint (or, for things hung on a
 * wall, on the wall plane), +z toward the room, x across its width, y up, metres.
 */
import { bookCover, doors, painting, screen, sky, solid, stripes, type Material, type Rgb } from './materials.ts';
import { CLASS_ID } from './nyu13-classes.ts';
import { Box, Cylinder, Sphere, type Shape } from './primitives.ts';
import type { Random } from './random.ts';
import { makeObject, type SceneObject } from './room-scene.ts';

/** Where an item stands: its frame turned by `yaw` about +y, then moved to (x, z). */
export interface Placement {
  x: number;
  z: number;
  yaw: number;
}

let instanceCounter = 0;
/** Instance ids are per generated scene; the layout resets them. */
export function resetInstances(): void {
  instanceCounter = 0;
}

/** Collects the shapes of one item in its own frame and places them in the world. */
export class PartBuilder {
  readonly shapes: Shape[] = [];
  private readonly cos: number;
  private readonly sin: number;
  readonly instance = ++instanceCounter;

  constructor(
    private readonly place: Placement,
    private readonly classId: number,
  ) {
    this.cos = Math.cos(place.yaw);
    this.sin = Math.sin(place.yaw);
  }

  private worldX(x: number, z: number): number {
    return this.place.x + this.cos * x + this.sin * z;
  }

  private worldZ(x: number, z: number): number {
    return this.place.z - this.sin * x + this.cos * z;
  }

  /** A box centred at (x, y, z) with half extents (hx, hy, hz). */
  box(material: Material, x: number, y: number, z: number, hx: number, hy: number, hz: number, classId = this.classId, yaw = 0): this {
    const surface = { classId, instance: this.instance, material };
    this.shapes.push(new Box(surface, this.worldX(x, z), y, this.worldZ(x, z), hx, hy, hz, this.place.yaw + yaw));
    return this;
  }

  sphere(material: Material, x: number, y: number, z: number, r: number, classId = this.classId): this {
    const surface = { classId, instance: this.instance, material };
    this.shapes.push(new Sphere(surface, this.worldX(x, z), y, this.worldZ(x, z), r));
    return this;
  }

  cylinder(material: Material, x: number, z: number, y0: number, y1: number, r: number, classId = this.classId): this {
    const surface = { classId, instance: this.instance, material };
    this.shapes.push(new Cylinder(surface, this.worldX(x, z), this.worldZ(x, z), y0, y1, r));
    return this;
  }

  build(name: string): SceneObject {
    return makeObject(name, this.shapes);
  }
}

const WOODS: Rgb[] = [
  [0.55, 0.38, 0.22],
  [0.68, 0.52, 0.34],
  [0.42, 0.28, 0.17],
  [0.78, 0.66, 0.48],
  [0.3, 0.2, 0.13],
];
const PAINTED: Rgb[] = [
  [0.92, 0.92, 0.9],
  [0.2, 0.22, 0.25],
  [0.55, 0.62, 0.58],
  [0.35, 0.42, 0.55],
  [0.75, 0.7, 0.62],
];
const FABRICS: Rgb[] = [
  [0.62, 0.2, 0.18],
  [0.2, 0.35, 0.55],
  [0.35, 0.5, 0.32],
  [0.55, 0.5, 0.45],
  [0.7, 0.55, 0.3],
  [0.4, 0.3, 0.5],
  [0.25, 0.25, 0.28],
];
const VIVID: Rgb[] = [
  [0.85, 0.2, 0.15],
  [0.95, 0.75, 0.15],
  [0.15, 0.55, 0.8],
  [0.2, 0.7, 0.35],
  [0.9, 0.45, 0.1],
  [0.6, 0.25, 0.7],
  [0.9, 0.9, 0.85],
];

function vary(rng: Random, c: Rgb, amount = 0.08): Rgb {
  return c.map((v) => Math.min(1, Math.max(0, v + rng.range(-amount, amount)))) as Rgb;
}

export interface BuiltItem {
  objects: SceneObject[];
  width: number;
  depth: number;
  height: number;
}

export function bed(rng: Random, place: Placement, width: number, length: number): SceneObject {
  const b = new PartBuilder(place, CLASS_ID.bed);
  const wood = solid(vary(rng, rng.pick(WOODS)), rng.u32());
  const sheet = solid(vary(rng, [0.9, 0.9, 0.86], 0.04), rng.u32(), 0.05);
  const fabric = rng.pick(FABRICS);
  const blanket = stripes(vary(rng, fabric), vary(rng, fabric, 0.25), rng.range(0.12, 0.3), rng.chance(0.5), rng.u32());
  const hw = width / 2;
  const hl = length / 2;
  const headHeight = rng.range(0.85, 1.15);
  b.box(wood, 0, 0.16, 0, hw, 0.16, hl);
  b.box(sheet, 0, 0.42, 0.02, hw - 0.03, 0.1, hl - 0.05);
  const cover = length * rng.range(0.55, 0.75);
  b.box(blanket, 0, 0.43, hl - cover / 2 - 0.02, hw - 0.01, 0.115, cover / 2);
  const pillows = width > 1.2 ? 2 : 1;
  for (let i = 0; i < pillows; i++) {
    const x = pillows === 1 ? 0 : (i === 0 ? -1 : 1) * hw * 0.5;
    b.box(sheet, x, 0.57, -hl + 0.3, Math.min(0.32, hw * 0.42), 0.06, 0.16);
  }
  b.box(wood, 0, headHeight / 2, -hl + 0.04, hw + 0.02, headHeight / 2, 0.04);
  return b.build('bed');
}

export function sofa(rng: Random, place: Placement, width: number, depth: number): SceneObject {
  const b = new PartBuilder(place, CLASS_ID.sofa);
  const colour = vary(rng, rng.pick(FABRICS));
  const fabric = solid(colour, rng.u32(), 0.1, 0.2);
  const cushion = rng.chance(0.5) ? stripes(colour, vary(rng, colour, 0.2), 0.08, false, rng.u32()) : fabric;
  const hw = width / 2;
  const hd = depth / 2;
  const arm = 0.16;
  b.box(fabric, 0, 0.2, 0.02, hw, 0.2, hd - 0.02);
  b.box(fabric, 0, 0.44, -hd + 0.1, hw, 0.44, 0.1);
  b.box(fabric, -hw + arm / 2, 0.31, 0, arm / 2, 0.31, hd);
  b.box(fabric, hw - arm / 2, 0.31, 0, arm / 2, 0.31, hd);
  const seats = width > 1.8 ? 3 : 2;
  const seatW = (width - 2 * arm) / seats;
  for (let i = 0; i < seats; i++) {
    b.box(cushion, -hw + arm + seatW * (i + 0.5), 0.47, 0.06, seatW / 2 - 0.01, 0.07, hd - 0.16);
  }
  return b.build('sofa');
}

/** A shelf unit (furniture) and its rows of books (each row its own object, for culling). */
export function bookshelf(rng: Random, place: Placement, width: number, depth: number, height: number): SceneObject[] {
  const frame = new PartBuilder(place, CLASS_ID.furniture);
  const wood = solid(vary(rng, rng.chance(0.6) ? rng.pick(WOODS) : rng.pick(PAINTED)), rng.u32());
  const hw = width / 2;
  const hd = depth / 2;
  const t = 0.02;
  frame.box(wood, -hw + t, height / 2, 0, t, height / 2, hd);
  frame.box(wood, hw - t, height / 2, 0, t, height / 2, hd);
  frame.box(wood, 0, height - t, 0, hw, t, hd);
  frame.box(wood, 0, 0.04, 0, hw, 0.04, hd);
  frame.box(wood, 0, height / 2, -hd + 0.005, hw, height / 2, 0.005);
  const rows = Math.max(3, Math.round((height - 0.1) / 0.36));
  const spacing = (height - 0.08 - t) / rows;
  const objects: SceneObject[] = [];
  for (let r = 0; r < rows; r++) {
    const base = 0.08 + r * spacing;
    if (r > 0) frame.box(wood, 0, base - t / 2, 0, hw - 2 * t, t / 2, hd - 0.01);
    const row = new PartBuilder(place, CLASS_ID.book);
    let x = -hw + 2 * t + rng.range(0, 0.1);
    const end = hw - 2 * t;
    while (x < end - 0.03) {
      if (rng.chance(0.12)) {
        x += rng.range(0.05, 0.2);
        continue;
      }
      const thick = rng.range(0.02, 0.05);
      if (x + thick > end) break;
      const bh = Math.min(spacing - 0.04, rng.range(0.17, 0.3));
      const bd = Math.min(depth - 0.04, rng.range(0.14, 0.24));
      const cover = bookCover(vary(rng, rng.pick([...FABRICS, ...VIVID]), 0.1), bh * rng.range(0.55, 0.8), rng.u32());
      row.box(cover, x + thick / 2, base + bh / 2, hd - bd / 2 - 0.01, thick / 2, bh / 2, bd / 2);
      x += thick + 0.002;
    }
    if (rng.chance(0.3)) {
      const size = Math.min(0.08, spacing / 3);
      row.sphere(solid(rng.pick(VIVID), rng.u32()), end - size - 0.02, base + size, 0, size, CLASS_ID.objects);
    }
    if (row.shapes.length) objects.push(row.build('books'));
  }
  return [frame.build('bookshelf'), ...objects];
}

/** A cabinet or dresser (furniture) with a few things on top. */
export function cabinet(rng: Random, place: Placement, width: number, depth: number, height: number, withItems: boolean): SceneObject[] {
  const b = new PartBuilder(place, CLASS_ID.furniture);
  const colour = vary(rng, rng.chance(0.5) ? rng.pick(WOODS) : rng.pick(PAINTED));
  const doorCount = Math.max(1, Math.round(width / rng.range(0.35, 0.5)));
  const hw = width / 2;
  const front = doors(colour, width / doorCount, hw, (height - 0.08) / 2, rng.u32());
  const hd = depth / 2;
  b.box(solid([0.12, 0.1, 0.09], rng.u32()), 0, 0.04, 0, hw - 0.03, 0.04, hd - 0.03);
  b.box(front, 0, 0.08 + (height - 0.08) / 2, 0, hw, (height - 0.08) / 2, hd);
  const objects = [b.build('cabinet')];
  if (withItems) objects.push(...smallThingsOn(rng, place, 0, 0, hw - 0.05, hd - 0.05, height, rng.int(1, 3)));
  return objects;
}

/** Books lying in a stack and small objects (vases, balls, boxes) on a surface at height y. */
export function smallThingsOn(
  rng: Random,
  place: Placement,
  cx: number,
  cz: number,
  hw: number,
  hd: number,
  y: number,
  count: number,
): SceneObject[] {
  const out: SceneObject[] = [];
  const slots = Array.from({ length: count }, (_, i) => -hw + ((i + 0.5) * 2 * hw) / count);
  for (const sx of slots) {
    const x = cx + sx + rng.range(-0.05, 0.05);
    const z = cz + rng.range(-hd * 0.4, hd * 0.4);
    const slotHalf = Math.min(hw / count, hd) * 0.8;
    if (rng.chance(0.35)) {
      const stack = new PartBuilder(place, CLASS_ID.book);
      let top = y;
      for (let k = rng.int(1, 4); k > 0; k--) {
        const th = rng.range(0.025, 0.05);
        const colour = vary(rng, rng.pick([...FABRICS, ...VIVID]), 0.1);
        const bw = Math.min(slotHalf, rng.range(0.1, 0.15));
        stack.box(
          solid(colour, rng.u32(), 0.05),
          x,
          top + th / 2,
          z,
          bw,
          th / 2,
          Math.min(slotHalf, bw * 0.75),
          CLASS_ID.book,
          rng.range(-0.4, 0.4),
        );
        top += th;
      }
      out.push(stack.build('book stack'));
    } else {
      out.push(smallObject(rng, place, x, z, y, slotHalf));
    }
  }
  return out;
}

/** A vase, a ball, a mug or a box: the "objects" class. */
export function smallObject(rng: Random, place: Placement, x: number, z: number, y: number, maxHalf: number): SceneObject {
  const b = new PartBuilder(place, CLASS_ID.objects);
  const material = solid(vary(rng, rng.pick(VIVID)), rng.u32(), 0.15, 0.1);
  const kind = rng.int(0, 2);
  if (kind === 0) {
    const r = Math.min(maxHalf, rng.range(0.04, 0.09));
    b.cylinder(material, x, z, y, y + rng.range(0.12, 0.35), r);
  } else if (kind === 1) {
    const r = Math.min(maxHalf, rng.range(0.05, 0.12));
    b.sphere(material, x, y + r, z, r);
  } else {
    const h = Math.min(maxHalf, rng.range(0.05, 0.12));
    b.box(material, x, y + h, z, h * rng.range(0.8, 1.5), h, h, CLASS_ID.objects, rng.range(0, 1.5));
  }
  return b.build('object');
}

/** A bin, a ball or a floor lamp standing on the floor ("objects"). */
export function floorObject(rng: Random, place: Placement): SceneObject {
  const b = new PartBuilder(place, CLASS_ID.objects);
  const material = solid(vary(rng, rng.pick(VIVID)), rng.u32(), 0.12, 0.15);
  const kind = rng.int(0, 2);
  if (kind === 0) {
    b.cylinder(material, 0, 0, 0, rng.range(0.28, 0.4), rng.range(0.11, 0.15));
  } else if (kind === 1) {
    const r = rng.range(0.1, 0.17);
    b.sphere(material, 0, r, 0, r);
  } else {
    const dark = solid([0.15, 0.15, 0.15], rng.u32());
    const h = rng.range(1.3, 1.6);
    b.cylinder(dark, 0, 0, 0, 0.03, 0.15);
    b.cylinder(dark, 0, 0, 0.03, h - 0.2, 0.015);
    b.cylinder(solid(vary(rng, [0.92, 0.88, 0.75], 0.05), rng.u32(), 0.03), 0, 0, h - 0.25, h, 0.17);
  }
  return b.build('floor object');
}

export function table(rng: Random, place: Placement, width: number, depth: number, height: number): SceneObject {
  const b = new PartBuilder(place, CLASS_ID.table);
  const material = solid(vary(rng, rng.chance(0.7) ? rng.pick(WOODS) : rng.pick(PAINTED)), rng.u32(), 0.1, 0.25);
  const hw = width / 2;
  const hd = depth / 2;
  const top = 0.035;
  b.box(material, 0, height - top / 2, 0, hw, top / 2, hd);
  const leg = 0.03;
  for (const sx of [-1, 1]) {
    for (const sz of [-1, 1]) b.box(material, sx * (hw - 0.06), (height - top) / 2, sz * (hd - 0.06), leg, (height - top) / 2, leg);
  }
  return b.build('table');
}

/** A chair facing +z in its frame (its back at -z). */
export function chair(rng: Random, place: Placement, colour: Rgb): SceneObject {
  const b = new PartBuilder(place, CLASS_ID.chair);
  const material = solid(colour, rng.u32(), 0.08, 0.2);
  const hs = rng.range(0.21, 0.24);
  const seatY = rng.range(0.43, 0.47);
  const backH = rng.range(0.38, 0.5);
  b.box(material, 0, seatY, 0, hs, 0.02, hs);
  for (const sx of [-1, 1]) {
    for (const sz of [-1, 1]) b.box(material, sx * (hs - 0.025), (seatY - 0.02) / 2, sz * (hs - 0.025), 0.018, (seatY - 0.02) / 2, 0.018);
  }
  b.box(material, 0, seatY + backH / 2, -hs + 0.02, hs, backH / 2, 0.02);
  return b.build('chair');
}

/** A TV (dark screen in a bezel), hung with its back on the wall plane (z = 0) or on a stand. */
export function tv(rng: Random, place: Placement, width: number, centreY: number, onStand: boolean, standTop: number): SceneObject {
  const b = new PartBuilder(place, CLASS_ID.tv);
  const bezel = solid([0.06, 0.06, 0.07], rng.u32(), 0.05);
  const hw = width / 2;
  const hh = (width * 9) / 16 / 2;
  const depth = 0.05;
  const zBack = onStand ? -0.02 : 0.005;
  b.box(bezel, 0, centreY, zBack + depth / 2, hw, hh, depth / 2);
  b.box(screen(rng.u32()), 0, centreY, zBack + depth + 0.002, hw - 0.02, hh - 0.02, 0.002);
  if (onStand) {
    b.box(bezel, 0, (standTop + centreY - hh) / 2, zBack + depth / 2, 0.04, (centreY - hh - standTop) / 2 + 0.01, 0.02);
    b.box(bezel, 0, standTop + 0.01, zBack + depth / 2, 0.18, 0.01, 0.1);
  }
  return b.build('tv');
}

/** A framed picture on the wall: frame and painted canvas. */
export function picture(rng: Random, place: Placement, width: number, height: number, centreY: number): SceneObject {
  const b = new PartBuilder(place, CLASS_ID.picture);
  const frame = solid(vary(rng, rng.pick([...WOODS, [0.1, 0.1, 0.1], [0.85, 0.8, 0.6]] as Rgb[])), rng.u32(), 0.05);
  const border = rng.range(0.03, 0.06);
  const palette: Rgb[] = [
    vary(
      rng,
      rng.pick([
        [0.9, 0.88, 0.8],
        [0.15, 0.2, 0.3],
        [0.8, 0.7, 0.5],
      ] as Rgb[]),
      0.1,
    ),
  ];
  for (let i = 0; i < 3; i++) palette.push(vary(rng, rng.pick(VIVID), 0.15));
  const hw = width / 2;
  const hh = height / 2;
  b.box(frame, 0, centreY, 0.015, hw, hh, 0.015);
  b.box(painting(palette, hw - border, hh - border, rng.u32()), 0, centreY, 0.033, hw - border, hh - border, 0.004);
  return b.build('picture');
}

/** A window: an emissive daylight pane in a white frame with mullions. */
export function windowPane(rng: Random, place: Placement, width: number, height: number, centreY: number): SceneObject {
  const b = new PartBuilder(place, CLASS_ID.window);
  const hw = width / 2;
  const hh = height / 2;
  const pane = sky([0.85, 0.9, 0.95], vary(rng, [0.55, 0.72, 0.95], 0.05), rng.range(0.9, 1.05), hh, rng.u32());
  const frame = solid([0.93, 0.93, 0.9], rng.u32(), 0.03);
  const bar = 0.035;
  b.box(pane, 0, centreY, 0.006, hw, hh, 0.006);
  b.box(frame, 0, centreY + hh - bar, 0.03, hw, bar, 0.03);
  b.box(frame, 0, centreY - hh + bar, 0.03, hw + 0.03, bar, 0.045);
  b.box(frame, -hw + bar, centreY, 0.03, bar, hh, 0.03);
  b.box(frame, hw - bar, centreY, 0.03, bar, hh, 0.03);
  const mullions = width > 1.1 ? 2 : 1;
  for (let i = 1; i <= mullions; i++) b.box(frame, -hw + (width * i) / (mullions + 1), centreY, 0.02, 0.02, hh, 0.02);
  if (rng.chance(0.6)) b.box(frame, 0, centreY + hh * 0.2, 0.02, hw, 0.018, 0.02);
  return b.build('window');
}
