/**
 * The shapes the generated rooms are made of, with exact ray intersection: boxes turned about the
 * vertical axis, spheres and upright cylinders. World units are metres, y is up.
 */
import type { Material } from './materials.ts';

export interface Ray {
  ox: number;
  oy: number;
  oz: number;
  dx: number;
  dy: number;
  dz: number;
}

/** The nearest hit so far. `l*` is the hit point in the shape's own frame (texture space). */
export class Hit {
  t = Infinity;
  nx = 0;
  ny = 0;
  nz = 0;
  lx = 0;
  ly = 0;
  lz = 0;
  /** Box face axis (0 x, 1 y, 2 z); -1 on curved surfaces. */
  axis = -1;
  shape: Shape | null = null;

  reset(tMax: number): void {
    this.t = tMax;
    this.shape = null;
  }
}

export interface Surface {
  classId: number;
  /** One object (a bed, a chair) shares its instance id across its parts. */
  instance: number;
  material: Material;
}

const EPS = 1e-7;

export abstract class Shape {
  /** Unique per shape in a scene: pixels whose neighbours see another shape are supersampled. */
  key = 0;
  constructor(readonly surface: Surface) {}
  /** World-space bounds, for the per-object culling boxes. */
  abstract bounds(): [number, number, number, number, number, number];
  /** Records the hit in `hit` when it is nearer than `hit.t`; returns whether it did. */
  abstract intersect(r: Ray, hit: Hit): boolean;
}

/** An axis-aligned box turned by `yaw` radians about +y (x toward -z for positive yaw). */
export class Box extends Shape {
  readonly cos: number;
  readonly sin: number;
  constructor(
    surface: Surface,
    readonly cx: number,
    readonly cy: number,
    readonly cz: number,
    readonly hx: number,
    readonly hy: number,
    readonly hz: number,
    readonly yaw = 0,
  ) {
    super(surface);
    this.cos = Math.cos(yaw);
    this.sin = Math.sin(yaw);
  }

  bounds(): [number, number, number, number, number, number] {
    const ex = Math.abs(this.cos) * this.hx + Math.abs(this.sin) * this.hz;
    const ez = Math.abs(this.sin) * this.hx + Math.abs(this.cos) * this.hz;
    return [this.cx - ex, this.cy - this.hy, this.cz - ez, this.cx + ex, this.cy + this.hy, this.cz + ez];
  }

  intersect(r: Ray, hit: Hit): boolean {
    const c = this.cos;
    const s = this.sin;
    const px = r.ox - this.cx;
    const pz = r.oz - this.cz;
    // World to local is the inverse (transposed) rotation.
    const ox = c * px - s * pz;
    const oy = r.oy - this.cy;
    const oz = s * px + c * pz;
    const dx = c * r.dx - s * r.dz;
    const dy = r.dy;
    const dz = s * r.dx + c * r.dz;
    let tNear = -Infinity;
    let tFar = hit.t;
    let axis = -1;
    let sign = 0;
    // x slab
    if (Math.abs(dx) < 1e-12) {
      if (ox < -this.hx || ox > this.hx) return false;
    } else {
      const inv = 1 / dx;
      let t0 = (-this.hx - ox) * inv;
      let t1 = (this.hx - ox) * inv;
      if (t0 > t1) [t0, t1] = [t1, t0];
      if (t0 > tNear) {
        tNear = t0;
        axis = 0;
        sign = dx > 0 ? -1 : 1;
      }
      if (t1 < tFar) tFar = t1;
      if (tNear > tFar) return false;
    }
    if (Math.abs(dy) < 1e-12) {
      if (oy < -this.hy || oy > this.hy) return false;
    } else {
      const inv = 1 / dy;
      let t0 = (-this.hy - oy) * inv;
      let t1 = (this.hy - oy) * inv;
      if (t0 > t1) [t0, t1] = [t1, t0];
      if (t0 > tNear) {
        tNear = t0;
        axis = 1;
        sign = dy > 0 ? -1 : 1;
      }
      if (t1 < tFar) tFar = t1;
      if (tNear > tFar) return false;
    }
    if (Math.abs(dz) < 1e-12) {
      if (oz < -this.hz || oz > this.hz) return false;
    } else {
      const inv = 1 / dz;
      let t0 = (-this.hz - oz) * inv;
      let t1 = (this.hz - oz) * inv;
      if (t0 > t1) [t0, t1] = [t1, t0];
      if (t0 > tNear) {
        tNear = t0;
        axis = 2;
        sign = dz > 0 ? -1 : 1;
      }
      if (t1 < tFar) tFar = t1;
      if (tNear > tFar) return false;
    }
    // Rays starting inside a solid see nothing of it (cameras never sit inside furniture).
    if (tNear <= EPS || tNear >= hit.t || axis < 0) return false;
    hit.t = tNear;
    hit.lx = ox + tNear * dx;
    hit.ly = oy + tNear * dy;
    hit.lz = oz + tNear * dz;
    hit.axis = axis;
    const nlx = axis === 0 ? sign : 0;
    const nlz = axis === 2 ? sign : 0;
    hit.nx = c * nlx + s * nlz;
    hit.ny = axis === 1 ? sign : 0;
    hit.nz = -s * nlx + c * nlz;
    hit.shape = this;
    return true;
  }
}

export class Sphere extends Shape {
  constructor(
    surface: Surface,
    readonly cx: number,
    readonly cy: number,
    readonly cz: number,
    readonly radius: number,
  ) {
    super(surface);
  }

  bounds(): [number, number, number, number, number, number] {
    const r = this.radius;
    return [this.cx - r, this.cy - r, this.cz - r, this.cx + r, this.cy + r, this.cz + r];
  }

  intersect(r: Ray, hit: Hit): boolean {
    const px = r.ox - this.cx;
    const py = r.oy - this.cy;
    const pz = r.oz - this.cz;
    const a = r.dx * r.dx + r.dy * r.dy + r.dz * r.dz;
    const b = px * r.dx + py * r.dy + pz * r.dz;
    const c = px * px + py * py + pz * pz - this.radius * this.radius;
    const disc = b * b - a * c;
    if (disc < 0) return false;
    const t = (-b - Math.sqrt(disc)) / a;
    if (t <= EPS || t >= hit.t) return false;
    hit.t = t;
    hit.lx = px + t * r.dx;
    hit.ly = py + t * r.dy;
    hit.lz = pz + t * r.dz;
    const inv = 1 / this.radius;
    hit.nx = hit.lx * inv;
    hit.ny = hit.ly * inv;
    hit.nz = hit.lz * inv;
    hit.axis = -1;
    hit.shape = this;
    return true;
  }
}

/** An upright cylinder from y0 to y1, capped at both ends. */
export class Cylinder extends Shape {
  constructor(
    surface: Surface,
    readonly cx: number,
    readonly cz: number,
    readonly y0: number,
    readonly y1: number,
    readonly radius: number,
  ) {
    super(surface);
  }

  bounds(): [number, number, number, number, number, number] {
    const r = this.radius;
    return [this.cx - r, this.y0, this.cz - r, this.cx + r, this.y1, this.cz + r];
  }

  intersect(r: Ray, hit: Hit): boolean {
    const px = r.ox - this.cx;
    const pz = r.oz - this.cz;
    let found = false;
    const a = r.dx * r.dx + r.dz * r.dz;
    if (a > 1e-14) {
      const b = px * r.dx + pz * r.dz;
      const c = px * px + pz * pz - this.radius * this.radius;
      const disc = b * b - a * c;
      if (disc >= 0) {
        const t = (-b - Math.sqrt(disc)) / a;
        const y = r.oy + t * r.dy;
        if (t > EPS && t < hit.t && y >= this.y0 && y <= this.y1) {
          hit.t = t;
          hit.lx = px + t * r.dx;
          hit.ly = y - this.y0;
          hit.lz = pz + t * r.dz;
          hit.nx = hit.lx / this.radius;
          hit.ny = 0;
          hit.nz = hit.lz / this.radius;
          hit.axis = -1;
          hit.shape = this;
          found = true;
        }
      }
    }
    if (Math.abs(r.dy) > 1e-12) {
      // Only the cap that faces the ray can be hit first.
      const capY = r.dy < 0 ? this.y1 : this.y0;
      const t = (capY - r.oy) / r.dy;
      if (t > EPS && t < hit.t) {
        const x = px + t * r.dx;
        const z = pz + t * r.dz;
        if (x * x + z * z <= this.radius * this.radius) {
          hit.t = t;
          hit.lx = x;
          hit.ly = capY - this.y0;
          hit.lz = z;
          hit.nx = 0;
          hit.ny = r.dy < 0 ? 1 : -1;
          hit.nz = 0;
          hit.axis = 1;
          hit.shape = this;
          found = true;
        }
      }
    }
    return found;
  }
}

/** A face of the room shell; the shell itself does the intersection. */
export class ShellFace extends Shape {
  constructor(
    surface: Surface,
    private readonly box: [number, number, number, number, number, number],
  ) {
    super(surface);
  }
  bounds(): [number, number, number, number, number, number] {
    return this.box;
  }
  intersect(): boolean {
    return false;
  }
}

/**
 * The room seen from inside: floor, ceiling and four walls of the box [0,w] x [0,h] x [0,d].
 * Walls are numbered 0: z = 0, 1: x = w, 2: z = d, 3: x = 0.
 */
export class RoomShell {
  readonly floor: ShellFace;
  readonly ceiling: ShellFace;
  readonly walls: [ShellFace, ShellFace, ShellFace, ShellFace];

  constructor(
    readonly w: number,
    readonly h: number,
    readonly d: number,
    surfaces: { floor: Surface; ceiling: Surface; walls: [Surface, Surface, Surface, Surface] },
  ) {
    this.floor = new ShellFace(surfaces.floor, [0, 0, 0, w, 0, d]);
    this.ceiling = new ShellFace(surfaces.ceiling, [0, h, 0, w, h, d]);
    this.walls = [
      new ShellFace(surfaces.walls[0], [0, 0, 0, w, h, 0]),
      new ShellFace(surfaces.walls[1], [w, 0, 0, w, h, d]),
      new ShellFace(surfaces.walls[2], [0, 0, d, w, h, d]),
      new ShellFace(surfaces.walls[3], [0, 0, 0, 0, h, d]),
    ];
  }

  /** Rays start inside the room, so every ray leaves it through exactly one face. */
  intersect(r: Ray, hit: Hit): boolean {
    let t = Infinity;
    let face = -1;
    if (r.dx !== 0) {
      const tx = ((r.dx > 0 ? this.w : 0) - r.ox) / r.dx;
      if (tx < t) {
        t = tx;
        face = r.dx > 0 ? 1 : 3;
      }
    }
    if (r.dy !== 0) {
      const ty = ((r.dy > 0 ? this.h : 0) - r.oy) / r.dy;
      if (ty < t) {
        t = ty;
        face = r.dy > 0 ? 5 : 4;
      }
    }
    if (r.dz !== 0) {
      const tz = ((r.dz > 0 ? this.d : 0) - r.oz) / r.dz;
      if (tz < t) {
        t = tz;
        face = r.dz > 0 ? 2 : 0;
      }
    }
    if (face < 0 || t >= hit.t || t <= EPS) return false;
    hit.t = t;
    hit.nx = face === 1 ? -1 : face === 3 ? 1 : 0;
    hit.ny = face === 5 ? -1 : face === 4 ? 1 : 0;
    hit.nz = face === 2 ? -1 : face === 0 ? 1 : 0;
    // The shell's own frame is the world frame.
    hit.lx = r.ox + t * r.dx;
    hit.ly = r.oy + t * r.dy;
    hit.lz = r.oz + t * r.dz;
    hit.axis = face >= 4 ? 1 : face === 0 || face === 2 ? 2 : 0;
    hit.shape = face === 4 ? this.floor : face === 5 ? this.ceiling : this.walls[face]!;
    return true;
  }
}
