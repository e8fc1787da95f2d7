/**
 * Lays out one room per seed: a shell with textured floor, walls and ceiling; furniture against
 * the walls (bed, sofa, shelves of books, cabinets, a TV), a table with chairs in the open floor,
 * small objects, and windows and pictures on the walls. Every one of the 13 classes appears in
 * every room; sizes, colours, counts and places vary with the seed.
 *
 * Things taller than a seated person stand against a wall and are at most 0.5 m deep, so a camera
 * at standing height that keeps `CAMERA_WALL_CLEARANCE` from the walls is never inside one.
 */
import {
  bed,
  bookshelf,
  cabinet,
  chair,
  floorObject,
  picture,
  resetInstances,
  smallThingsOn,
  sofa,
  table,
  tv,
  windowPane,
  type Placement,
} from './furniture.ts';
import { planks, solid, tiles, type Rgb } from './materials.ts';
import { CLASS_ID } from './nyu13-classes.ts';
import { RoomShell, type Surface } from './primitives.ts';
import { Random } from './random.ts';
import type { RoomScene, SceneObject } from './room-scene.ts';

export const CAMERA_WALL_CLEARANCE = 0.75;
/** Nothing away from the walls is taller than this; cameras stay above it. */
export const OPEN_FLOOR_MAX_HEIGHT = 1.05;

interface Rect {
  x0: number;
  z0: number;
  x1: number;
  z1: number;
}

/** A rectangle on a wall: s along the wall, y up. */
interface WallRect {
  wall: number;
  s0: number;
  s1: number;
  y0: number;
  y1: number;
}

class LayoutFailed extends Error {}

class Layout {
  readonly objects: SceneObject[] = [];
  private readonly floor: Rect[] = [];
  private readonly wallRects: WallRect[] = [];

  constructor(
    readonly rng: Random,
    readonly w: number,
    readonly d: number,
    readonly h: number,
  ) {}

  wallLength(wall: number): number {
    return wall % 2 === 0 ? this.w : this.d;
  }

  /** The frame of a point `s` along a wall, `offset` in front of it, facing into the room. */
  wallFrame(wall: number, s: number, offset: number): Placement {
    switch (wall) {
      case 0:
        return { x: s, z: offset, yaw: 0 };
      case 1:
        return { x: this.w - offset, z: s, yaw: -Math.PI / 2 };
      case 2:
        return { x: this.w - s, z: this.d - offset, yaw: Math.PI };
      default:
        return { x: offset, z: this.d - s, yaw: Math.PI / 2 };
    }
  }

  private footprintFree(r: Rect, margin: number): boolean {
    return this.floor.every((o) => r.x1 + margin <= o.x0 || o.x1 + margin <= r.x0 || r.z1 + margin <= o.z0 || o.z1 + margin <= r.z0);
  }

  private wallFree(r: WallRect, margin: number): boolean {
    return this.wallRects.every(
      (o) => o.wall !== r.wall || r.s1 + margin <= o.s0 || o.s1 + margin <= r.s0 || r.y1 + margin <= o.y0 || o.y1 + margin <= r.y0,
    );
  }

  private add(objects: SceneObject[], footprint: Rect | null): void {
    this.objects.push(...objects);
    if (footprint) this.floor.push(footprint);
  }

  private static footprintOf(objects: SceneObject[]): Rect {
    const r = { x0: Infinity, z0: Infinity, x1: -Infinity, z1: -Infinity };
    for (const o of objects) {
      r.x0 = Math.min(r.x0, o.bounds[0]);
      r.z0 = Math.min(r.z0, o.bounds[2]);
      r.x1 = Math.max(r.x1, o.bounds[3]);
      r.z1 = Math.max(r.z1, o.bounds[5]);
    }
    return r;
  }

  /** Stands an item with its back to a wall; `build` makes it at the placement given. */
  againstWall(width: number, depth: number, height: number, build: (p: Placement) => SceneObject[], tries = 60): boolean {
    for (let i = 0; i < tries; i++) {
      const wall = this.rng.int(0, 3);
      const length = this.wallLength(wall);
      if (width + 0.2 > length) continue;
      const s = this.rng.range(width / 2 + 0.05, length - width / 2 - 0.05);
      const rect = { wall, s0: s - width / 2, s1: s + width / 2, y0: 0, y1: height };
      const place = this.wallFrame(wall, s, depth / 2 + 0.02);
      const fp = this.footprintAt(place, width, depth);
      if (!this.footprintFree(fp, 0.08) || !this.wallFree(rect, 0.05)) continue;
      this.add(build(place), fp);
      this.wallRects.push(rect);
      return true;
    }
    return false;
  }

  /** Hangs an item on a wall between heights y0 and y1. */
  onWall(width: number, y0: number, y1: number, build: (p: Placement) => SceneObject[], tries = 80): boolean {
    for (let i = 0; i < tries; i++) {
      const wall = this.rng.int(0, 3);
      const length = this.wallLength(wall);
      if (width + 0.6 > length) continue;
      const s = this.rng.range(width / 2 + 0.3, length - width / 2 - 0.3);
      const rect = { wall, s0: s - width / 2, s1: s + width / 2, y0, y1 };
      if (!this.wallFree(rect, 0.12)) continue;
      this.add(build(this.wallFrame(wall, s, 0)), null);
      this.wallRects.push(rect);
      return true;
    }
    return false;
  }

  /** Places a group in the open floor, keeping `margin` to everything else. */
  inOpenFloor(halfW: number, halfD: number, margin: number, build: (p: Placement) => SceneObject[], tries = 80): boolean {
    for (let i = 0; i < tries; i++) {
      const x = this.rng.range(halfW + 0.3, this.w - halfW - 0.3);
      const z = this.rng.range(halfD + 0.3, this.d - halfD - 0.3);
      const fp = { x0: x - halfW, z0: z - halfD, x1: x + halfW, z1: z + halfD };
      if (!this.footprintFree(fp, margin)) continue;
      const objects = build({ x, z, yaw: 0 });
      this.add(objects, Layout.footprintOf(objects));
      return true;
    }
    return false;
  }

  /** A small thing on the floor within `fromWall` metres of a wall. */
  nearWall(radius: number, fromWall: number, build: (p: Placement) => SceneObject[], tries = 60): boolean {
    for (let i = 0; i < tries; i++) {
      const wall = this.rng.int(0, 3);
      const length = this.wallLength(wall);
      const s = this.rng.range(radius + 0.05, length - radius - 0.05);
      const place = this.wallFrame(wall, s, this.rng.range(radius + 0.03, fromWall));
      const fp = { x0: place.x - radius, z0: place.z - radius, x1: place.x + radius, z1: place.z + radius };
      if (!this.footprintFree(fp, 0.05)) continue;
      this.add(build(place), fp);
      return true;
    }
    return false;
  }

  private footprintAt(place: Placement, width: number, depth: number): Rect {
    const across = Math.abs(Math.sin(place.yaw)) > 0.5;
    const hx = (across ? depth : width) / 2;
    const hz = (across ? width : depth) / 2;
    return { x0: place.x - hx, z0: place.z - hz, x1: place.x + hx, z1: place.z + hz };
  }
}

const WALL_PAINT: Rgb[] = [
  [0.86, 0.84, 0.78],
  [0.78, 0.82, 0.85],
  [0.85, 0.78, 0.7],
  [0.75, 0.8, 0.72],
  [0.9, 0.88, 0.86],
  [0.7, 0.7, 0.74],
];

function shell(rng: Random, w: number, h: number, d: number): RoomShell {
  const paint = rng.pick(WALL_PAINT);
  const accentWall = rng.chance(0.5) ? rng.int(0, 3) : -1;
  const accent: Rgb = rng.pick([
    [0.55, 0.65, 0.75],
    [0.75, 0.55, 0.45],
    [0.55, 0.7, 0.55],
  ] as Rgb[]);
  const wallSeed = rng.u32();
  const wall = (i: number): Surface => ({
    classId: CLASS_ID.wall,
    instance: 0,
    material: solid(i === accentWall ? accent : paint, wallSeed + i, 0.06, 0.6),
  });
  const floorKind = rng.int(0, 2);
  const floorMaterial =
    floorKind === 0
      ? planks([0.7, 0.52, 0.33], [0.45, 0.3, 0.18], rng.range(0.14, 0.22), rng.u32())
      : floorKind === 1
        ? tiles(
            rng.pick([
              [0.82, 0.8, 0.76],
              [0.55, 0.55, 0.58],
              [0.7, 0.62, 0.52],
            ] as Rgb[]),
            [0.35, 0.34, 0.33],
            rng.range(0.3, 0.6),
            rng.u32(),
          )
        : solid(
            rng.pick([
              [0.45, 0.35, 0.3],
              [0.35, 0.4, 0.45],
              [0.6, 0.55, 0.48],
            ] as Rgb[]),
            rng.u32(),
            0.2,
            0.15,
          );
  return new RoomShell(w, h, d, {
    floor: { classId: CLASS_ID.floor, instance: 0, material: floorMaterial },
    ceiling: { classId: CLASS_ID.ceiling, instance: 0, material: solid([0.93, 0.93, 0.92], rng.u32(), 0.04, 0.8) },
    walls: [wall(0), wall(1), wall(2), wall(3)],
  });
}

function tryLayout(rng: Random): RoomScene {
  resetInstances();
  const w = rng.range(5.6, 7.4);
  const d = rng.range(5.0, 6.8);
  const h = rng.range(2.6, 3.0);
  const L = new Layout(rng, w, d, h);
  const need = (ok: boolean, what: string): void => {
    if (!ok) throw new LayoutFailed(what);
  };

  const bedW = rng.range(1.3, 1.8);
  const bedL = rng.range(1.95, 2.1);
  need(
    L.againstWall(bedW, bedL, 1.15, (p) => [bed(rng, p, bedW, bedL)]),
    'bed',
  );
  const sofaW = rng.range(1.6, 2.2);
  const sofaD = rng.range(0.82, 0.95);
  need(
    L.againstWall(sofaW, sofaD, 0.9, (p) => [sofa(rng, p, sofaW, sofaD)]),
    'sofa',
  );
  for (let i = rng.int(1, 2); i > 0; i--) {
    const sw = rng.range(0.7, 1.2);
    const sd = rng.range(0.3, 0.38);
    const sh = rng.range(1.5, 2.0);
    need(L.againstWall(sw, sd, sh, (p) => bookshelf(rng, p, sw, sd, sh)) || i < 2, 'bookshelf');
  }
  for (let i = rng.int(1, 2); i > 0; i--) {
    const cw = rng.range(0.6, 1.3);
    const cd = rng.range(0.4, 0.5);
    const ch = rng.range(0.5, 1.0);
    L.againstWall(cw, cd, ch, (p) => cabinet(rng, p, cw, cd, ch, true));
  }

  const tvW = rng.range(0.8, 1.3);
  const tvH = (tvW * 9) / 16;
  if (rng.chance(0.5)) {
    const standW = tvW + rng.range(0.2, 0.5);
    const standH = rng.range(0.42, 0.55);
    const centre = standH + 0.1 + tvH / 2;
    need(
      L.againstWall(standW, 0.45, centre + tvH / 2, (p) => [
        ...cabinet(rng, p, standW, 0.45, standH, false),
        tv(rng, p, tvW, centre, true, standH),
      ]),
      'tv on a stand',
    );
  } else {
    const centre = rng.range(1.2, 1.5);
    need(
      L.onWall(tvW, centre - tvH / 2, centre + tvH / 2, (p) => [tv(rng, p, tvW, centre, false, 0)]),
      'tv',
    );
  }

  const tableW = rng.range(1.0, 1.5);
  const tableD = rng.range(0.7, 0.9);
  const tableH = rng.range(0.72, 0.78);
  const chairColour: Rgb = [rng.range(0.2, 0.8), rng.range(0.2, 0.7), rng.range(0.15, 0.6)];
  const chairs = rng.int(2, 4);
  need(
    L.inOpenFloor(tableW / 2 + 0.55, tableD / 2 + 0.55, 0.6, (p) => {
      const items = [table(rng, p, tableW, tableD, tableH)];
      items.push(...smallThingsOn(rng, p, 0, 0, tableW / 2 - 0.1, tableD / 2 - 0.1, tableH, rng.int(2, 3)));
      // Chairs on the long sides first, then the ends; each faces the table.
      const seats: Placement[] = [
        { x: p.x + rng.range(-0.2, 0.2), z: p.z - tableD / 2 - 0.3, yaw: 0 },
        { x: p.x + rng.range(-0.2, 0.2), z: p.z + tableD / 2 + 0.3, yaw: Math.PI },
        { x: p.x - tableW / 2 - 0.3, z: p.z, yaw: Math.PI / 2 },
        { x: p.x + tableW / 2 + 0.3, z: p.z, yaw: -Math.PI / 2 },
      ];
      for (let i = 0; i < chairs; i++) {
        const s = seats[i]!;
        items.push(chair(rng, { ...s, yaw: s.yaw + rng.range(-0.25, 0.25) }, chairColour));
      }
      return items;
    }),
    'table',
  );
  for (let i = rng.int(1, 3); i > 0; i--) L.nearWall(0.2, 0.45, (p) => [floorObject(rng, p)]);

  for (let i = rng.int(1, 2); i > 0; i--) {
    const ww = rng.range(0.8, 1.5);
    const wh = rng.range(1.0, 1.4);
    const y0 = rng.range(0.8, Math.max(0.85, h - wh - 0.25));
    need(L.onWall(ww, y0, y0 + wh, (p) => [windowPane(rng, p, ww, wh, y0 + wh / 2)]) || i < 2, 'window');
  }
  for (let i = rng.int(2, 3); i > 0; i--) {
    const pw = rng.range(0.4, 1.0);
    const ph = pw * rng.range(0.6, 1.3);
    const cy = rng.range(1.35, Math.min(1.8, h - ph / 2 - 0.2));
    need(L.onWall(pw, cy - ph / 2, cy + ph / 2, (p) => [picture(rng, p, pw, ph, cy)]) || i < 3, 'picture');
  }

  const lights = [];
  const count = w * d > 36 ? 2 : 1;
  for (let i = 0; i < count; i++) {
    lights.push({
      x: (w * (i + 1)) / (count + 1) + rng.range(-0.4, 0.4),
      y: h - 0.3,
      z: d / 2 + rng.range(-0.6, 0.6),
      power: rng.range(3.5, 5.0) / count,
    });
  }
  return { shell: shell(rng, w, h, d), objects: L.objects, lights, ambient: rng.range(0.26, 0.34) };
}

/** The room for `seed`. A layout that cannot fit everything is redrawn from the next stream. */
export function layoutRoom(seed: number): RoomScene {
  const rng = new Random(seed);
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      return tryLayout(rng.fork());
    } catch (e) {
      if (!(e instanceof LayoutFailed)) throw e;
    }
  }
  throw new Error(`no room layout found for seed ${seed}`);
}
