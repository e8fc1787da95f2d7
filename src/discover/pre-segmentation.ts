/**
 * NeurNCD's pre-segmentation: a depth map split into convex "sub-instance" segments, after Tateno
 * et al. 2015 (incremental segmentation on dense SLAM) as Nakajima et al. 2019 and NeurNCD use it.
 * Clustering later groups segments into classes, so a segment must never straddle two objects;
 * splitting one object into several segments is harmless.
 *
 * Every pixel is lifted to a camera-space point (OpenCV axes: x right, y down, z forward) and
 * given a normal facing the camera. Two 4-neighbours are separated by an edge when
 *  - the surface is torn between them: one point stands in front of the other's tangent plane
 *    (towards the camera) by more than `depthJump`·z + `depthNoise`. An occluding object always
 *    stands in front of the surface behind it, while across a convex crease each point falls
 *    away behind the other's plane, so creases never tear, even where a crease pixel's normal is
 *    a blend of both faces. A plane distance rather than a depth difference, so a floor seen at
 *    a grazing angle, whose depth changes fast, stays whole while a picture 3 cm proud of its
 *    wall does not. Neighbours farther apart than a surface seen at `grazingAngleDegrees` could
 *    put them are torn too: that catches a surface seen edge-on from a camera close to its plane,
 *    where anything in front of it can lie on its plane extended;
 *  - the surface folds inwards between them: it turns by more than `concaveAngleDegrees` from
 *    one side of the link to the other and the fold is concave (floor meeting wall, a cup
 *    standing on a table). Convex folds (the faces of a box seen from outside) do not split:
 *    segments are convex pieces.
 * A pixel with any edge is an edge pixel. Segments are the connected components of the other
 * pixels, so a boundary is two pixels thick and one missed edge along it does not merge two
 * objects. Components smaller than `minSegmentPixels` are dropped; then edge pixels and dropped
 * pixels join the nearest segment reachable within `absorbSteps` links without crossing an edge,
 * because otherwise every object would be outlined in unlabelled pixels that clustering needs.
 *
 * Sensor depth (`depthKind: 'sensor'`, SENSOR_DEPTH_PRESEGMENTATION) is noisy enough that
 * neighbours' differences say nothing about the surface: there, small holes are first filled from
 * their rim's plane (depth-holes.ts), each point is moved onto a plane fitted over a window wide
 * enough for the noise at its depth and takes that plane's normal (fitted-surface.ts), the tear
 * threshold grows with the noise, and the fold test compares fitted normals. Large holes and holes
 * whose rim is not one plane (the band without depth beside an object's edge) stay out, and links
 * into them are edges, so the two sides of a hidden depth step never join.
 */

import { fillPlanarHoles } from './depth-holes.ts';
import { fitSurface } from './fitted-surface.ts';

export interface DepthView {
  width: number;
  height: number;
  /** z-depth (any unit, metres for sensor depth), row-major, 0 or non-finite = missing. */
  depth: Float32Array;
  /** Pinhole intrinsics in pixels at this resolution, pixel centres at +0.5 (continuous coordinates). */
  intrinsics: { fx: number; fy: number; cx: number; cy: number };
}

export interface PreSegmentationSettings {
  /**
   * A concave fold splits where the surface turns by more than this from one side of a link to
   * the other (directions measured `normalRadius` pixels out on each side). Well above what
   * millimetre depth steps turn a plane by, well below floor against wall; low values only
   * over-segment tightly curved concave surfaces, which is harmless.
   */
  concaveAngleDegrees: number;
  /**
   * Tear threshold as a fraction of depth: neighbours are torn apart when one stands farther
   * than depthJump·z + depthNoise in front of the other's tangent plane. 0.5% of 3 m is 1.5 cm,
   * so a picture frame 3 cm proud of its wall separates even head-on.
   */
  depthJump: number;
  /** Added to the tear threshold, in the depth's unit (metres): millimetre quantisation and sensor noise. */
  depthNoise: number;
  /**
   * Neighbours farther apart than pixels on a surface seen at this angle from its normal are torn
   * apart. 85 degrees keeps the far floor of a large room whole (a camera 1.5 m up sees floor 8 m
   * away at 79 degrees).
   */
  grazingAngleDegrees: number;
  /**
   * Normals and the fold test's directions come from pixels this far apart. 1 suits rendered or
   * clean depth; with exact depth's finite differences, sensor-like noise (1.5 mm at 1 m, growing
   * with z²) leaves ~40% of the pixels unsegmented even at 3, which is what depthKind 'sensor' is
   * for. There, normals come from fitted planes and this is how far out the fold test looks.
   */
  normalRadius: number;
  /** Components with fewer pixels are dropped before edge pixels are absorbed. */
  minSegmentPixels: number;
  /**
   * Edge pixels and dropped pixels join a segment at most this many links away, 0 to keep them
   * all unsegmented. A boundary band is a pixel or two each side; reaching much farther lets the
   * few segments of a noisy map (where most pixels are edge pixels) flood across objects.
   */
  absorbSteps: number;
  /**
   * What kind of depth this is. 'exact': rendered or generated depth (the project's rooms, the
   * field's rendering), whose neighbours' differences are the surface's own. 'sensor': a depth
   * camera's, with noise growing with z², holes, and bands of missing depth along object edges:
   * small holes inside a surface are filled from their rim's plane, normals and points come from
   * planes fitted over windows wide enough for the noise (fitted-surface.ts), and the tear
   * threshold grows by tearSigmas noise deviations.
   */
  depthKind: 'exact' | 'sensor';
  /** 'sensor': depth noise (one standard deviation) at 1 m in the depth's unit, growing with z². */
  sensorNoise: number;
  /** 'sensor': holes (4-connected pixels without depth) up to this size whose rim lies on one plane are filled from it. */
  largestFilledHole: number;
  /** 'sensor': noise deviations at the nearer point's depth added to the tear threshold. */
  tearSigmas: number;
}

/**
 * Tuned on the synthetic rooms at 320x240 (tests/unit/presegment.test.ts): loosening either
 * threshold merges few segments but mixes classes sooner (books into shelves, chairs into
 * floors), tightening them costs coverage for little purity. minSegmentPixels is ~0.03% of a
 * 320x240 frame: big enough to drop specks, small enough to keep a cup on a far table.
 */
export const DEFAULT_PRESEGMENTATION: PreSegmentationSettings = {
  concaveAngleDegrees: 15,
  depthJump: 0.005,
  depthNoise: 0.002,
  grazingAngleDegrees: 85,
  normalRadius: 1,
  minSegmentPixels: 20,
  absorbSteps: 4,
  depthKind: 'exact',
  sensorNoise: 0.0015,
  largestFilledHole: 200,
  tearSigmas: 2,
};

/**
 * For depth from a depth camera (every scan but the project's generated rooms): structured
 * light's noise, 1.5 mm at 1 m growing with z².
 */
export const SENSOR_DEPTH_PRESEGMENTATION: PreSegmentationSettings = {
  ...DEFAULT_PRESEGMENTATION,
  depthKind: 'sensor',
  normalRadius: 2,
};

/**
 * For the depth the field renders (scans without depth): rough like a sensor's, and more so (a
 * young field's surfaces wander by several per cent of their depth) with holes where it is not
 * yet opaque. The sensor path with a noise to match: on two half-resolution frames of a generated
 * room's field at 1000 steps, 33% of the pixels in segments at 87% purity, against 1.2% with the
 * exact settings (see docs/discovery.md).
 */
export const RENDERED_DEPTH_PRESEGMENTATION: PreSegmentationSettings = {
  ...SENSOR_DEPTH_PRESEGMENTATION,
  sensorNoise: 0.02,
};

export interface PreSegmentation {
  width: number;
  height: number;
  /**
   * Segment id per pixel, 0..count-1, or -1 (no depth, edge pixel not absorbed, or segment smaller
   * than the minimum). With depthKind 'sensor', pixels of a filled hole have a segment but no depth.
   */
  segments: Int32Array;
  count: number;
  /** Pixels per segment. */
  pixels: Uint32Array;
}

/** Link flags per pixel: the link to its right and to its lower neighbour is an edge. */
const EDGE_RIGHT = 1;
const EDGE_DOWN = 2;

export function presegment(view: DepthView, settings: Partial<PreSegmentationSettings> = {}): PreSegmentation {
  const s = resolveSettings(settings);
  checkView(view);
  const { width: w, height: h } = view;
  const { points, normals } = s.depthKind === 'sensor' ? sensorSurface(view, s) : exactSurface(view, s);
  const links = edgeLinks(points, normals, view, s);
  const labels = seedComponents(links, points.valid, w, h, s.minSegmentPixels);
  absorbAcrossLinks(labels, links, points.valid, w, h, s.absorbSteps);
  return renumber(labels, w, h);
}

function exactSurface(view: DepthView, s: PreSegmentationSettings): { points: CameraPoints; normals: Normals } {
  const points = liftToCamera(view);
  return { points, normals: cameraFacingNormals(points, view.width, view.height, s) };
}

/** Holes filled, then every point moved onto the plane fitted around it, with that plane's normal. */
function sensorSurface(view: DepthView, s: PreSegmentationSettings): { points: CameraPoints; normals: Normals } {
  const { width: w, height: h, intrinsics } = view;
  const filled = fillPlanarHoles(view.depth, w, h, intrinsics, {
    noiseAtOneMetre: s.sensorNoise,
    largestHole: s.largestFilledHole,
    tear: (z) => s.depthJump * z + s.depthNoise,
  });
  const surface = fitSurface(filled, w, h, intrinsics, s.sensorNoise);
  return { points: liftToCamera({ ...view, depth: surface.depth }), normals: surface.normals };
}

function resolveSettings(given: Partial<PreSegmentationSettings>): PreSegmentationSettings {
  const s = { ...DEFAULT_PRESEGMENTATION, ...given };
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new Error(`pre-segmentation: ${what}`);
  };
  check(
    s.concaveAngleDegrees > 0 && s.concaveAngleDegrees < 180,
    `concaveAngleDegrees must be between 0 and 180, got ${s.concaveAngleDegrees}`,
  );
  check(s.depthJump >= 0 && Number.isFinite(s.depthJump), `depthJump must be a fraction >= 0, got ${s.depthJump}`);
  check(s.depthNoise >= 0 && Number.isFinite(s.depthNoise), `depthNoise must be >= 0, got ${s.depthNoise}`);
  check(
    s.grazingAngleDegrees > 0 && s.grazingAngleDegrees < 90,
    `grazingAngleDegrees must be between 0 and 90, got ${s.grazingAngleDegrees}`,
  );
  check(Number.isInteger(s.normalRadius) && s.normalRadius >= 1, `normalRadius must be a whole number >= 1, got ${s.normalRadius}`);
  check(
    Number.isInteger(s.minSegmentPixels) && s.minSegmentPixels >= 1,
    `minSegmentPixels must be a whole number >= 1, got ${s.minSegmentPixels}`,
  );
  check(Number.isInteger(s.absorbSteps) && s.absorbSteps >= 0, `absorbSteps must be a whole number >= 0, got ${s.absorbSteps}`);
  check(s.depthKind === 'exact' || s.depthKind === 'sensor', `depthKind must be 'exact' or 'sensor', got ${String(s.depthKind)}`);
  check(s.sensorNoise >= 0 && Number.isFinite(s.sensorNoise), `sensorNoise must be >= 0, got ${s.sensorNoise}`);
  check(
    Number.isInteger(s.largestFilledHole) && s.largestFilledHole >= 0,
    `largestFilledHole must be a whole number >= 0, got ${s.largestFilledHole}`,
  );
  check(s.tearSigmas >= 0 && Number.isFinite(s.tearSigmas), `tearSigmas must be >= 0, got ${s.tearSigmas}`);
  return s;
}

function checkView(view: DepthView): void {
  const { width, height, depth, intrinsics } = view;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`pre-segmentation: the depth map's size must be whole numbers >= 1, got ${width}x${height}`);
  }
  if (depth.length !== width * height) {
    throw new Error(`pre-segmentation: the depth map has ${depth.length} values, but ${width}x${height} needs ${width * height}`);
  }
  const { fx, fy, cx, cy } = intrinsics;
  if (!(fx > 0 && fy > 0 && Number.isFinite(fx) && Number.isFinite(fy) && Number.isFinite(cx) && Number.isFinite(cy))) {
    throw new Error(`pre-segmentation: the intrinsics must be finite with fx, fy > 0, got fx=${fx} fy=${fy} cx=${cx} cy=${cy}`);
  }
}

interface CameraPoints {
  x: Float32Array;
  y: Float32Array;
  z: Float32Array;
  valid: Uint8Array;
}

function liftToCamera(view: DepthView): CameraPoints {
  const { width: w, height: h, depth } = view;
  const { fx, fy, cx, cy } = view.intrinsics;
  const n = w * h;
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  const z = new Float32Array(n);
  const valid = new Uint8Array(n);
  for (let j = 0; j < h; j++) {
    const ry = (j + 0.5 - cy) / fy;
    for (let i = 0; i < w; i++) {
      const p = j * w + i;
      const d = depth[p]!;
      if (!(d > 0 && d < Infinity)) continue;
      x[p] = ((i + 0.5 - cx) / fx) * d;
      y[p] = ry * d;
      z[p] = d;
      valid[p] = 1;
    }
  }
  return { x, y, z, valid };
}

export interface Normals {
  x: Float32Array;
  y: Float32Array;
  z: Float32Array;
  /** 0 where a pixel has no neighbour with depth along a row or a column. */
  valid: Uint8Array;
}

/**
 * Normal = cross product of a row tangent and a column tangent. Each tangent is the central
 * difference where depth changes evenly through the pixel; where it does not (a tear, a sharp
 * crease) it is the one-sided difference towards the side with the smaller depth change, so the
 * pixels beside a tear keep the normal of their own surface, not one spanning the gap.
 */
function cameraFacingNormals(pts: CameraPoints, w: number, h: number, s: PreSegmentationSettings): Normals {
  const n = w * h;
  const out: Normals = { x: new Float32Array(n), y: new Float32Array(n), z: new Float32Array(n), valid: new Uint8Array(n) };
  const { x, y, z, valid } = pts;
  const r = s.normalRadius;
  // Tangent endpoints of the current pixel along the row (u) and the column (v), written here
  // rather than returned so that the loop allocates nothing.
  const ends = new Int32Array(4);
  const chooseTangent = (slot: number, p: number, before: number, after: number, hasBefore: boolean, hasAfter: boolean): boolean => {
    const okBefore = hasBefore && valid[before] === 1;
    const okAfter = hasAfter && valid[after] === 1;
    let from = p;
    let to = p;
    if (okBefore && okAfter) {
      const dBefore = z[p]! - z[before]!;
      const dAfter = z[after]! - z[p]!;
      if (Math.abs(dAfter - dBefore) <= s.depthJump * z[p]! + s.depthNoise) {
        from = before;
        to = after;
      } else if (Math.abs(dBefore) <= Math.abs(dAfter)) from = before;
      else to = after;
    } else if (okBefore) from = before;
    else if (okAfter) to = after;
    else return false;
    ends[slot] = from;
    ends[slot + 1] = to;
    return true;
  };
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      const p = j * w + i;
      if (valid[p] !== 1) continue;
      if (!chooseTangent(0, p, p - r, p + r, i - r >= 0, i + r < w)) continue;
      if (!chooseTangent(2, p, p - r * w, p + r * w, j - r >= 0, j + r < h)) continue;
      const ux = x[ends[1]!]! - x[ends[0]!]!;
      const uy = y[ends[1]!]! - y[ends[0]!]!;
      const uz = z[ends[1]!]! - z[ends[0]!]!;
      const vx = x[ends[3]!]! - x[ends[2]!]!;
      const vy = y[ends[3]!]! - y[ends[2]!]!;
      const vz = z[ends[3]!]! - z[ends[2]!]!;
      let nx = uy * vz - uz * vy;
      let ny = uz * vx - ux * vz;
      let nz = ux * vy - uy * vx;
      const length = Math.sqrt(nx * nx + ny * ny + nz * nz);
      if (!(length > 0)) continue;
      // Facing the camera (at the origin): the tear test asks which point stands in front.
      const sign = nx * x[p]! + ny * y[p]! + nz * z[p]! > 0 ? -1 / length : 1 / length;
      nx *= sign;
      ny *= sign;
      nz *= sign;
      out.x[p] = nx;
      out.y[p] = ny;
      out.z[p] = nz;
      out.valid[p] = 1;
    }
  }
  return out;
}

/**
 * EDGE_RIGHT / EDGE_DOWN per pixel; links to a pixel without depth or normal count as edges.
 *
 * The fold test does not compare the two pixels' normals: a pixel beside a crease gets a normal
 * blended from both faces (its tangent may span the crease), and the foot of a chair leg and the
 * floor beside it can end up with nearly the same one. It compares the surface's direction
 * before and after the link instead, each measured on its own side (a→p and q→b, r pixels
 * out along the link), which is the normals' turn in the plane of the link.
 */
function edgeLinks(pts: CameraPoints, normals: Normals, view: DepthView, s: PreSegmentationSettings): Uint8Array {
  const { width: w, height: h } = view;
  const { fx, fy } = view.intrinsics;
  const r = s.normalRadius;
  const links = new Uint8Array(w * h);
  const cosConcave = Math.cos((s.concaveAngleDegrees * Math.PI) / 180);
  // 0 for exact depth, which leaves the threshold as it was to the bit.
  const tearPerZ2 = s.depthKind === 'sensor' ? s.tearSigmas * s.sensorNoise : 0;
  const fittedNormals = s.depthKind === 'sensor';
  // Neighbours on one surface lie about a pixel's footprint (z / f) apart, more by 1 / cos of the
  // angle at which the surface is seen; farther than at grazingAngleDegrees, they are not neighbours.
  const farApart = 1 / (Math.min(fx, fy) * Math.cos((s.grazingAngleDegrees * Math.PI) / 180));
  const { x, y, z, valid } = pts;
  const { x: nx, y: ny, z: nz, valid: hasNormal } = normals;
  /** Whether the link p→q is an edge; a lies r pixels before p and b r pixels after q, or are -1. */
  const isEdge = (a: number, p: number, q: number, b: number): boolean => {
    if (valid[p] !== 1 || valid[q] !== 1 || hasNormal[p] !== 1 || hasNormal[q] !== 1) return true;
    const vx = x[q]! - x[p]!;
    const vy = y[q]! - y[p]!;
    const vz = z[q]! - z[p]!;
    const zMin = Math.min(z[p]!, z[q]!);
    if (vx * vx + vy * vy + vz * vz > (zMin * farApart) ** 2) return true;
    // How far each point stands in front of (towards the camera) the other's tangent plane.
    const qAboveP = vx * nx[p]! + vy * ny[p]! + vz * nz[p]!;
    const pAboveQ = -(vx * nx[q]! + vy * ny[q]! + vz * nz[q]!);
    const tear = s.depthJump * zMin + s.depthNoise + tearPerZ2 * zMin * zMin;
    if (Math.max(qAboveP, pAboveQ) > tear) return true;
    if (a < 0 || b < 0 || hasNormal[a] !== 1 || hasNormal[b] !== 1) return false;
    const ix = x[p]! - x[a]!;
    const iy = y[p]! - y[a]!;
    const iz = z[p]! - z[a]!;
    const ox = x[b]! - x[q]!;
    const oy = y[b]! - y[q]!;
    const oz = z[b]! - z[q]!;
    // Beside a tear, a or b lies on another surface and says nothing about this fold. Across a
    // tear both points are off each other's planes; a blended normal puts only one of them off.
    if (Math.min(Math.abs(ix * nx[p]! + iy * ny[p]! + iz * nz[p]!), Math.abs(ix * nx[a]! + iy * ny[a]! + iz * nz[a]!)) > tear) return false;
    if (Math.min(Math.abs(ox * nx[q]! + oy * ny[q]! + oz * nz[q]!), Math.abs(ox * nx[b]! + oy * ny[b]! + oz * nz[b]!)) > tear) return false;
    if (fittedNormals) {
      // Each fitted normal is its own face's (fitted-surface.ts keeps windows off creases), while
      // directions between points a few pixels apart turn by tens of degrees with far sensor noise.
      if (nx[a]! * nx[b]! + ny[a]! * ny[b]! + nz[a]! * nz[b]! >= cosConcave) return false;
      // Concave when each of a and b stands in front of the other's plane, convex when behind.
      return (x[b]! - x[a]!) * (nx[a]! - nx[b]!) + (y[b]! - y[a]!) * (ny[a]! - ny[b]!) + (z[b]! - z[a]!) * (nz[a]! - nz[b]!) > 0;
    }
    const li = Math.sqrt(ix * ix + iy * iy + iz * iz);
    const lo = Math.sqrt(ox * ox + oy * oy + oz * oz);
    if (!(li > 0 && lo > 0) || ix * ox + iy * oy + iz * oz >= cosConcave * li * lo) return false;
    // The path a→p→q→b bends towards the camera (at the origin) at a concave fold, whose crease is
    // the farthest point, and away from it at a convex one: the sign of (out − in)·(view ray).
    return (ox / lo - ix / li) * x[p]! + (oy / lo - iy / li) * y[p]! + (oz / lo - iz / li) * z[p]! < 0;
  };
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      const p = j * w + i;
      let flags = 0;
      if (i + 1 < w && isEdge(i - r >= 0 ? p - r : -1, p, p + 1, i + 1 + r < w ? p + 1 + r : -1)) flags |= EDGE_RIGHT;
      if (j + 1 < h && isEdge(j - r >= 0 ? p - r * w : -1, p, p + w, j + 1 + r < h ? p + w + r * w : -1)) flags |= EDGE_DOWN;
      links[p] = flags;
    }
  }
  return links;
}

/**
 * Connected components (union-find) of the pixels that have depth and no edge, with segment
 * labels 0.. on those of at least `minPixels`, -1 everywhere else.
 */
function seedComponents(links: Uint8Array, valid: Uint8Array, w: number, h: number, minPixels: number): Int32Array {
  const n = w * h;
  const interior = new Uint8Array(n);
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      const p = j * w + i;
      if (valid[p] !== 1) continue;
      const edge =
        (links[p]! & (EDGE_RIGHT | EDGE_DOWN)) !== 0 ||
        (i > 0 && (links[p - 1]! & EDGE_RIGHT) !== 0) ||
        (j > 0 && (links[p - w]! & EDGE_DOWN) !== 0);
      if (!edge) interior[p] = 1;
    }
  }
  const parent = new Int32Array(n);
  for (let p = 0; p < n; p++) parent[p] = p;
  const find = (p: number): number => {
    while (parent[p] !== p) {
      parent[p] = parent[parent[p]!]!;
      p = parent[p]!;
    }
    return p;
  };
  const union = (a: number, b: number): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra < rb) parent[rb] = ra;
    else if (rb < ra) parent[ra] = rb;
  };
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      const p = j * w + i;
      if (interior[p] !== 1) continue;
      if (i + 1 < w && interior[p + 1] === 1) union(p, p + 1);
      if (j + 1 < h && interior[p + w] === 1) union(p, p + w);
    }
  }
  const size = new Uint32Array(n);
  for (let p = 0; p < n; p++) if (interior[p] === 1) size[find(p)]!++;
  const label = new Int32Array(n).fill(-1);
  const rootLabel = new Int32Array(n).fill(-1);
  let next = 0;
  for (let p = 0; p < n; p++) {
    if (interior[p] !== 1) continue;
    const root = find(p);
    if (size[root]! < minPixels) continue;
    if (rootLabel[root] === -1) rootLabel[root] = next++;
    label[p] = rootLabel[root]!;
  }
  return label;
}

/**
 * Breadth-first from every labelled pixel at once, over links that are not edges, for `maxSteps`
 * rings: each unlabelled pixel with depth joins the segment that reaches it first (the nearest;
 * ties go by queue order, which is fixed, so results are deterministic). Never crossing an edge
 * keeps absorption from merging across a tear or fold.
 */
function absorbAcrossLinks(label: Int32Array, links: Uint8Array, valid: Uint8Array, w: number, h: number, maxSteps: number): void {
  const n = w * h;
  const queue = new Int32Array(n);
  let tail = 0;
  const reach = (q: number, l: number): void => {
    if (label[q] === -1 && valid[q] === 1) {
      label[q] = l;
      queue[tail++] = q;
    }
  };
  for (let p = 0; p < n; p++) if (label[p]! >= 0) queue[tail++] = p;
  let head = 0;
  for (let step = 0; step < maxSteps && head < tail; step++) {
    for (const ringEnd = tail; head < ringEnd; head++) {
      const p = queue[head]!;
      const i = p % w;
      const l = label[p]!;
      if (i + 1 < w && (links[p]! & EDGE_RIGHT) === 0) reach(p + 1, l);
      if (i > 0 && (links[p - 1]! & EDGE_RIGHT) === 0) reach(p - 1, l);
      if (p + w < n && (links[p]! & EDGE_DOWN) === 0) reach(p + w, l);
      if (p >= w && (links[p - w]! & EDGE_DOWN) === 0) reach(p - w, l);
    }
  }
}

/** Ids 0..count-1 in the scan order of each segment's first pixel, and pixel counts. */
function renumber(label: Int32Array, w: number, h: number): PreSegmentation {
  const n = w * h;
  const remap = new Int32Array(n).fill(-1);
  const counts: number[] = [];
  const segments = new Int32Array(n);
  for (let p = 0; p < n; p++) {
    const l = label[p]!;
    if (l < 0) {
      segments[p] = -1;
      continue;
    }
    if (remap[l] === -1) {
      remap[l] = counts.length;
      counts.push(0);
    }
    const id = remap[l]!;
    segments[p] = id;
    counts[id]!++;
  }
  return { width: w, height: h, segments, count: counts.length, pixels: Uint32Array.from(counts) };
}
