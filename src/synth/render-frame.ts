/**
 * Ray-traces one view of a generated room: colour (Lambertian, point lights with hard shadows, an
 * ambient term, emissive windows), exact z-depth and the class of the surface at every pixel.
 *
 * Depth and labels come from the ray through the pixel centre. Colour is the mean of 5 rays where
 * the pixel straddles two shapes, so edges are anti-aliased as a real camera's would be.
 */
import { linearToSrgb } from './materials.ts';
import { Hit, type Ray } from './primitives.ts';
import type { RoomScene } from './room-scene.ts';
import { VOID_CLASS } from './nyu13-classes.ts';

/** A pinhole camera; `c2w` is row-major 4x4 camera-to-world in the OpenCV convention (x right, y down, z forward). */
export interface PinholeCamera {
  width: number;
  height: number;
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  c2w: Float64Array;
}

export interface RenderedFrame {
  width: number;
  height: number;
  /** sRGB, 8 bits, row-major RGB triples. */
  rgb: Uint8Array;
  /** z-depth in millimetres; 0 where nothing was hit (never inside a closed room). */
  depthMm: Uint16Array;
  /** Class id per pixel (nyu13-classes). */
  label: Uint8Array;
}

const SHADOW_EPS = 1e-4;

export class RoomTracer {
  private readonly hit = new Hit();
  private readonly shadowHit = new Hit();
  private readonly ray: Ray = { ox: 0, oy: 0, oz: 0, dx: 0, dy: 0, dz: 0 };
  private readonly albedo = new Float64Array(3);

  constructor(private readonly scene: RoomScene) {
    let key = 1;
    for (const face of [scene.shell.floor, scene.shell.ceiling, ...scene.shell.walls]) face.key = key++;
    for (const o of scene.objects) for (const s of o.shapes) s.key = key++;
  }

  /** Nearest surface along `r` (r.d need not be unit length; t is in units of |d|). */
  trace(r: Ray, hit: Hit): boolean {
    hit.reset(Infinity);
    this.scene.shell.intersect(r, hit);
    for (const o of this.scene.objects) {
      if (!rayHitsBox(r, o.bounds, hit.t)) continue;
      for (const s of o.shapes) s.intersect(r, hit);
    }
    return hit.shape !== null;
  }

  /** Whether anything lies between the point and the light (the room shell never does). */
  private occluded(px: number, py: number, pz: number, lx: number, ly: number, lz: number): boolean {
    const r = this.ray;
    r.ox = px;
    r.oy = py;
    r.oz = pz;
    r.dx = lx - px;
    r.dy = ly - py;
    r.dz = lz - pz;
    const h = this.shadowHit;
    for (const o of this.scene.objects) {
      if (!rayHitsBox(r, o.bounds, 1)) continue;
      for (const s of o.shapes) {
        h.reset(1);
        if (s.intersect(r, h)) return true;
      }
    }
    return false;
  }

  /** Linear radiance reaching the camera from the traced hit. */
  shade(r: Ray, hit: Hit, out: Float64Array): void {
    const surface = hit.shape!.surface;
    surface.material.shade(hit, this.albedo);
    if (surface.material.emissive) {
      out.set(this.albedo);
      return;
    }
    const px = r.ox + hit.t * r.dx;
    const py = r.oy + hit.t * r.dy;
    const pz = r.oz + hit.t * r.dz;
    // Lambertian surfaces are lit from the side the camera sees.
    const facing = hit.nx * r.dx + hit.ny * r.dy + hit.nz * r.dz > 0 ? -1 : 1;
    const nx = hit.nx * facing;
    const ny = hit.ny * facing;
    const nz = hit.nz * facing;
    let irradiance = this.scene.ambient;
    const ox = px + nx * SHADOW_EPS;
    const oy = py + ny * SHADOW_EPS;
    const oz = pz + nz * SHADOW_EPS;
    for (const light of this.scene.lights) {
      const lx = light.x - px;
      const ly = light.y - py;
      const lz = light.z - pz;
      if (ly <= 0) continue;
      const d2 = lx * lx + ly * ly + lz * lz;
      const dist = Math.sqrt(d2);
      const cos = (nx * lx + ny * ly + nz * lz) / dist;
      if (cos <= 0) continue;
      if (this.occluded(ox, oy, oz, light.x, light.y, light.z)) continue;
      // Ceiling lamps are shaded: they light downward (a broad lobe), not the ceiling above them.
      irradiance += (light.power * cos * Math.sqrt(ly / dist)) / d2;
    }
    for (let i = 0; i < 3; i++) out[i] = this.albedo[i]! * irradiance;
  }

  render(camera: PinholeCamera): RenderedFrame {
    const { width, height, fx, fy, cx, cy, c2w } = camera;
    const n = width * height;
    const linearRgb = new Float32Array(n * 3);
    const depthMm = new Uint16Array(n);
    const label = new Uint8Array(n);
    const keys = new Int32Array(n);
    const r: Ray = { ox: c2w[3]!, oy: c2w[7]!, oz: c2w[11]!, dx: 0, dy: 0, dz: 0 };
    const hit = this.hit;
    const colour = new Float64Array(3);

    // Unnormalised camera-space direction (x, y, 1): the hit's t is then its z-depth.
    const setRay = (u: number, v: number): void => {
      const x = (u - cx) / fx;
      const y = (v - cy) / fy;
      r.ox = c2w[3]!;
      r.oy = c2w[7]!;
      r.oz = c2w[11]!;
      r.dx = c2w[0]! * x + c2w[1]! * y + c2w[2]!;
      r.dy = c2w[4]! * x + c2w[5]! * y + c2w[6]!;
      r.dz = c2w[8]! * x + c2w[9]! * y + c2w[10]!;
    };

    // Pixel (i, j) covers [i, i+1) x [j, j+1); its centre is at (i + 0.5, j + 0.5).
    for (let j = 0; j < height; j++) {
      for (let i = 0; i < width; i++) {
        const p = j * width + i;
        setRay(i + 0.5, j + 0.5);
        if (!this.trace(r, hit)) {
          label[p] = VOID_CLASS;
          continue;
        }
        depthMm[p] = Math.min(65535, Math.round(hit.t * 1000));
        label[p] = hit.shape!.surface.classId;
        keys[p] = hit.shape!.key;
        this.shade(r, hit, colour);
        linearRgb[p * 3] = colour[0]!;
        linearRgb[p * 3 + 1] = colour[1]!;
        linearRgb[p * 3 + 2] = colour[2]!;
      }
    }

    const rgb = new Uint8Array(n * 3);
    const offsets = [
      [0.25, 0.25],
      [0.75, 0.25],
      [0.25, 0.75],
      [0.75, 0.75],
    ] as const;
    for (let j = 0; j < height; j++) {
      for (let i = 0; i < width; i++) {
        const p = j * width + i;
        const k = keys[p]!;
        const edge =
          (i > 0 && keys[p - 1] !== k) ||
          (i + 1 < width && keys[p + 1] !== k) ||
          (j > 0 && keys[p - width] !== k) ||
          (j + 1 < height && keys[p + width] !== k);
        let cr = linearRgb[p * 3]!;
        let cg = linearRgb[p * 3 + 1]!;
        let cb = linearRgb[p * 3 + 2]!;
        if (edge) {
          for (const [du, dv] of offsets) {
            setRay(i + du, j + dv);
            if (this.trace(r, hit)) {
              this.shade(r, hit, colour);
              cr += colour[0]!;
              cg += colour[1]!;
              cb += colour[2]!;
            }
          }
          cr /= 5;
          cg /= 5;
          cb /= 5;
        }
        rgb[p * 3] = Math.round(linearToSrgb(cr) * 255);
        rgb[p * 3 + 1] = Math.round(linearToSrgb(cg) * 255);
        rgb[p * 3 + 2] = Math.round(linearToSrgb(cb) * 255);
      }
    }
    return { width, height, rgb, depthMm, label };
  }
}

/** Slab test of a ray against world bounds, for hits nearer than tMax. Unrolled: it is the hot loop. */
function rayHitsBox(r: Ray, b: readonly number[], tMax: number): boolean {
  let t0 = 0;
  let t1 = tMax;
  let near: number;
  let far: number;
  if (r.dx !== 0) {
    near = (b[0]! - r.ox) / r.dx;
    far = (b[3]! - r.ox) / r.dx;
    if (near > far) [near, far] = [far, near];
    if (near > t0) t0 = near;
    if (far < t1) t1 = far;
    if (t0 > t1) return false;
  } else if (r.ox < b[0]! || r.ox > b[3]!) return false;
  if (r.dy !== 0) {
    near = (b[1]! - r.oy) / r.dy;
    far = (b[4]! - r.oy) / r.dy;
    if (near > far) [near, far] = [far, near];
    if (near > t0) t0 = near;
    if (far < t1) t1 = far;
    if (t0 > t1) return false;
  } else if (r.oy < b[1]! || r.oy > b[4]!) return false;
  if (r.dz !== 0) {
    near = (b[2]! - r.oz) / r.dz;
    far = (b[5]! - r.oz) / r.dz;
    if (near > far) [near, far] = [far, near];
    if (near > t0) t0 = near;
    if (far < t1) t1 = far;
    if (t0 > t1) return false;
  } else if (r.oz < b[2]! || r.oz > b[5]!) return false;
  return true;
}
