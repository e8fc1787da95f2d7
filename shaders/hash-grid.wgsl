// Multi-resolution hash encoding (Müller et al. 2022, instant-ngp): for each point in [0,1]^3 and
// each level, the trilinear interpolation of F features stored at the 8 corners of the point's
// grid cell; coarse levels index a dense grid, fine levels a hash table of the level's size.
//
// Workgroup layout (both kernels): 64 threads, one point each (numbered as dispatch.wgsl says); z
// is the level. Neighbouring threads thus read the same level's table, which keeps the coarse
// levels in cache.
//
//   encode    features[(level * F + f) * count + point] = sum_c w_c * table[level][corner_c][f]
//   backward  grad[level][corner_c][f] += w_c * d_features[(level * F + f) * count + point]
//   (feature-major, as the MLPs read them)
//             (float atomics: several points share corners)
//
// requires: atomic_add_f32 (float-atomics.wgsl)
// requires: Invocation, invocation_index (dispatch.wgsl)

override F: u32 = 2u;
const MAX_LEVELS: u32 = 32u;
const WORKGROUP_SIZE: u32 = 64u;

struct Level {
  scale: f32,       // positions map to p * scale + 0.5 in this level's vertex units
  resolution: u32,  // vertices per axis of the dense grid (dense levels)
  offset: u32,      // first table entry of the level
  size: u32,        // entries of the level: resolution^3 if dense, else the hash table size
}

struct Params {
  count: u32,       // points
  levels: u32,
  dense_levels: u32,  // levels [0, dense_levels) are dense, the rest hashed
  _pad: u32,          // a uniform array starts on a multiple of 16 bytes
  level: array<Level, MAX_LEVELS>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> positions: array<f32>;

// Loads a software adapter pays per access, so each kernel reads its level's record once, the
// point once, and (for the usual F = 2) one vec2 per corner.

fn corner_entry(lv: Level, dense: bool, corner: vec3u) -> u32 {
  var index: u32;
  if (dense) {
    index = corner.x + lv.resolution * (corner.y + lv.resolution * corner.z);
  } else {
    // instant-ngp's spatial hash; the size is a power of two.
    index = (corner.x ^ (corner.y * 2654435761u) ^ (corner.z * 805459861u)) & (lv.size - 1u);
  }
  return lv.offset + index;
}

struct Cell {
  base: vec3u,
  frac: vec3f,
}

fn cell_of(lv: Level, point: u32) -> Cell {
  let p = vec3f(positions[point * 3u], positions[point * 3u + 1u], positions[point * 3u + 2u]);
  let x = clamp(p, vec3f(0.0), vec3f(1.0)) * lv.scale + 0.5;
  let cell = floor(x);
  return Cell(vec3u(cell), x - cell);
}

fn corner_weight(frac: vec3f, c: u32) -> f32 {
  let bit = vec3f(f32(c & 1u), f32((c >> 1u) & 1u), f32((c >> 2u) & 1u));
  let w = mix(1.0 - frac, frac, bit);
  return w.x * w.y * w.z;
}

fn corner_offset(c: u32) -> vec3u {
  return vec3u(c & 1u, (c >> 1u) & 1u, (c >> 2u) & 1u);
}

// The point and level a thread works on, and the point's cell in that level.
struct Located {
  valid: bool,
  point: u32,
  level: u32,
  lv: Level,
  dense: bool,
  cell: Cell,
}

fn locate(invocation: Invocation) -> Located {
  let point = invocation_index(invocation, WORKGROUP_SIZE);
  let level = invocation.workgroup.z;
  let lv = params.level[level];
  if (point >= params.count) {
    return Located(false, point, level, lv, false, Cell(vec3u(), vec3f()));
  }
  return Located(true, point, level, lv, level < params.dense_levels, cell_of(lv, point));
}

@group(0) @binding(2) var<storage, read> table: array<f32>;
// The same table as pairs, for F = 2.
@group(0) @binding(6) var<storage, read> table2: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> features: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn encode(invocation: Invocation) {
  let at = locate(invocation);
  if (!at.valid) {
    return;
  }
  if (F == 2u) {
    var acc = vec2f();
    for (var c = 0u; c < 8u; c++) {
      acc += corner_weight(at.cell.frac, c) * table2[corner_entry(at.lv, at.dense, at.cell.base + corner_offset(c))];
    }
    features[at.level * 2u * params.count + at.point] = acc.x;
    features[(at.level * 2u + 1u) * params.count + at.point] = acc.y;
    return;
  }
  var acc: array<f32, 8>;
  for (var c = 0u; c < 8u; c++) {
    let w = corner_weight(at.cell.frac, c);
    let entry = corner_entry(at.lv, at.dense, at.cell.base + corner_offset(c));
    for (var f = 0u; f < F; f++) {
      acc[f] += w * table[entry * F + f];
    }
  }
  for (var f = 0u; f < F; f++) {
    features[(at.level * F + f) * params.count + at.point] = acc[f];
  }
}

@group(0) @binding(4) var<storage, read> d_features: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad: array<atomic<u32>>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn backward(invocation: Invocation) {
  let at = locate(invocation);
  if (!at.valid) {
    return;
  }
  var d: array<f32, 8>;
  var any = false;
  for (var f = 0u; f < F; f++) {
    d[f] = d_features[(at.level * F + f) * params.count + at.point];
    any = any || d[f] != 0.0;
  }
  // Samples past the batch's total (and rays that hit nothing) have no gradient: no atomics.
  if (!any) {
    return;
  }
  for (var c = 0u; c < 8u; c++) {
    let w = corner_weight(at.cell.frac, c);
    let entry = corner_entry(at.lv, at.dense, at.cell.base + corner_offset(c));
    for (var f = 0u; f < F; f++) {
      let g = w * d[f];
      if (g != 0.0) {
        atomic_add_f32(&grad[entry * F + f], g);
      }
    }
  }
}
