/**
 * Procedural, view-independent surface colours (Lambertian albedo, or emitted light for window
 * panes). Textures are smooth at pixel scale so that a radiance field can fit them; their detail
 * gives the field something to triangulate.
 */
import type { Hit } from './primitives.ts';
import { hash3, valueNoise3 } from './random.ts';

export type Rgb = [number, number, number];

export interface Material {
  /** Emissive surfaces (window panes) show their colour unlit. */
  readonly emissive: boolean;
  /** Writes the linear albedo (or emitted radiance) at the hit into `out`. */
  shade(hit: Hit, out: Float64Array): void;
}

export function srgbToLinear(c: number): number {
  return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
}

export function linearToSrgb(c: number): number {
  const x = c <= 0 ? 0 : c >= 1 ? 1 : c;
  return x <= 0.0031308 ? 12.92 * x : 1.055 * Math.pow(x, 1 / 2.4) - 0.055;
}

function linear(c: Rgb): Rgb {
  return [srgbToLinear(c[0]), srgbToLinear(c[1]), srgbToLinear(c[2])];
}

/** Surface coordinates (metres) of a hit in its shape's frame: the two axes across the face. */
const uv = { u: 0, v: 0 };
function surfaceUv(hit: Hit): typeof uv {
  switch (hit.axis) {
    case 0:
      uv.u = hit.lz;
      uv.v = hit.ly;
      break;
    case 1:
      uv.u = hit.lx;
      uv.v = hit.lz;
      break;
    case 2:
      uv.u = hit.lx;
      uv.v = hit.ly;
      break;
    default:
      // Curved surfaces: around (arc length from the angle) and up.
      uv.u = Math.atan2(hit.lz, hit.lx) * 0.15;
      uv.v = hit.ly;
  }
  return uv;
}

function fbm(x: number, y: number, z: number, seed: number): number {
  return (
    0.6 * valueNoise3(x, y, z, seed) +
    0.3 * valueNoise3(2.1 * x, 2.1 * y, 2.1 * z, seed + 1) +
    0.1 * valueNoise3(4.3 * x, 4.3 * y, 4.3 * z, seed + 2)
  );
}

function write(out: Float64Array, c: Rgb, k: number): void {
  out[0] = c[0] * k;
  out[1] = c[1] * k;
  out[2] = c[2] * k;
}

/** One colour with a soft mottling of `variation` (relative) at `scale` metres. */
export function solid(colour: Rgb, seed: number, variation = 0.08, scale = 0.35): Material {
  const c = linear(colour);
  const f = 1 / scale;
  return {
    emissive: false,
    shade(hit, out) {
      const n = fbm(hit.lx * f, hit.ly * f, hit.lz * f, seed);
      write(out, c, 1 + variation * (2 * n - 1));
    },
  };
}

/** Floor boards along u, each its own tint, with darker seams and a grain. */
export function planks(light: Rgb, dark: Rgb, width: number, seed: number): Material {
  const a = linear(light);
  const b = linear(dark);
  return {
    emissive: false,
    shade(hit, out) {
      const { u, v } = surfaceUv(hit);
      const row = Math.floor(v / width);
      const boardLength = 1.2;
      const shift = hash3(row, 0, 0, seed) * boardLength;
      const col = Math.floor((u + shift) / boardLength);
      const tint = hash3(row, col, 1, seed);
      const grain = 0.5 + 0.5 * Math.sin(u * 9 + 3 * valueNoise3(u * 1.5, v * 12, row, seed));
      const k = 0.35 * tint + 0.25 * grain;
      const fv = v / width - row;
      const fu = (u + shift) / boardLength - col;
      const seam = fv < 0.04 || fu < 0.012 ? 0.55 : 1;
      for (let i = 0; i < 3; i++) out[i] = (a[i]! * (1 - k) + b[i]! * k) * seam;
    },
  };
}

/** Square tiles with grout lines. */
export function tiles(tile: Rgb, grout: Rgb, size: number, seed: number): Material {
  const a = linear(tile);
  const g = linear(grout);
  return {
    emissive: false,
    shade(hit, out) {
      const { u, v } = surfaceUv(hit);
      const fu = u / size - Math.floor(u / size);
      const fv = v / size - Math.floor(v / size);
      if (fu < 0.03 || fv < 0.03) return write(out, g, 1);
      const k = 0.9 + 0.2 * hash3(Math.floor(u / size), Math.floor(v / size), 2, seed);
      write(out, a, k);
    },
  };
}

/** Fabric: two-colour stripes of `period` metres along u or v, softly mottled. */
export function stripes(a: Rgb, b: Rgb, period: number, alongV: boolean, seed: number): Material {
  const ca = linear(a);
  const cb = linear(b);
  return {
    emissive: false,
    shade(hit, out) {
      const { u, v } = surfaceUv(hit);
      const x = (alongV ? v : u) / period;
      // A smoothed square wave: crisp to the eye, but without sub-pixel aliasing.
      const s = 0.5 + 0.5 * Math.tanh(4 * Math.sin(2 * Math.PI * x));
      const m = 0.94 + 0.12 * valueNoise3(hit.lx * 6, hit.ly * 6, hit.lz * 6, seed);
      for (let i = 0; i < 3; i++) out[i] = (ca[i]! * s + cb[i]! * (1 - s)) * m;
    },
  };
}

/** A painting: coloured blobs on a ground, over a canvas of half-size hw x hh centred on the face. */
export function painting(palette: Rgb[], hw: number, hh: number, seed: number): Material {
  const colours = palette.map(linear);
  const ground = colours[0]!;
  const blobs = Array.from({ length: 5 }, (_, i) => ({
    x: (hash3(i, 1, 0, seed) * 2 - 1) * hw,
    y: (hash3(i, 2, 0, seed) * 2 - 1) * hh,
    r: (0.25 + 0.45 * hash3(i, 3, 0, seed)) * Math.min(hw, hh),
    c: colours[1 + (i % (colours.length - 1))]!,
  }));
  return {
    emissive: false,
    shade(hit, out) {
      const { u, v } = surfaceUv(hit);
      out[0] = ground[0];
      out[1] = ground[1];
      out[2] = ground[2];
      for (const b of blobs) {
        const d2 = ((u - b.x) ** 2 + (v - b.y) ** 2) / (b.r * b.r);
        const w = Math.exp(-d2 * d2);
        for (let i = 0; i < 3; i++) out[i] = out[i]! * (1 - w) + b.c[i]! * w;
      }
    },
  };
}

/** Daylight through a pane of half-height `hh`: bright, bluer toward the top, soft clouds. Emissive. */
export function sky(horizon: Rgb, zenith: Rgb, brightness: number, hh: number, seed: number): Material {
  const h = linear(horizon);
  const z = linear(zenith);
  return {
    emissive: true,
    shade(hit, out) {
      const k = Math.min(1, Math.max(0, (hit.ly / hh + 1) / 2));
      const cloud = Math.max(0, fbm(hit.lx * 1.5 + hit.lz * 1.5, hit.ly * 3, 0, seed) - 0.45) * 1.4;
      for (let i = 0; i < 3; i++) out[i] = ((h[i]! * (1 - k) + z[i]! * k) * (1 - cloud) + cloud) * brightness;
    },
  };
}

/** A switched-off TV: near black with a faint diagonal sheen. */
export function screen(seed: number): Material {
  return {
    emissive: false,
    shade(hit, out) {
      const { u, v } = surfaceUv(hit);
      const sheen = 0.012 * Math.exp(-(((u + v * 0.7) * 3) ** 2));
      const n = 0.004 * valueNoise3(u * 3, v * 3, 0, seed);
      out[0] = 0.008 + sheen + n;
      out[1] = 0.01 + sheen + n;
      out[2] = 0.016 + sheen * 1.3 + n;
    },
  };
}

/** Cabinet fronts: wood with grooves between doors and a small dark handle per door. */
export function doors(colour: Rgb, doorWidth: number, halfWidth: number, halfHeight: number, seed: number): Material {
  const c = linear(colour);
  return {
    emissive: false,
    shade(hit, out) {
      const { u, v } = surfaceUv(hit);
      const n = 0.92 + 0.16 * fbm(hit.lx * 3, hit.ly * 3, hit.lz * 3, seed);
      if (hit.axis !== 2) return write(out, c, n);
      const x = (u + halfWidth) / doorWidth;
      const f = x - Math.floor(x);
      const groove = f < 0.015 || f > 0.985 || Math.abs(v - halfHeight * 0.3) < 0.006;
      const handle = Math.abs(f - 0.88) < 0.02 && Math.abs(v - halfHeight * 0.55) < 0.05;
      write(out, c, groove ? n * 0.45 : handle ? 0.15 : n);
    },
  };
}

/** A book spine: its cover colour with a light title band. */
export function bookCover(colour: Rgb, band: number, seed: number): Material {
  const c = linear(colour);
  const light = linear([0.9, 0.86, 0.72]);
  return {
    emissive: false,
    shade(hit, out) {
      const n = 0.95 + 0.1 * valueNoise3(hit.lx * 20, hit.ly * 20, hit.lz * 20, seed);
      if (hit.axis === 2 && Math.abs(hit.ly - band) < 0.015) return write(out, light, n);
      write(out, c, n);
    },
  };
}
