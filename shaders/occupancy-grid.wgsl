// The occupancy grid that lets the ray sampler skip empty space (instant-ngp §4): res^3 cells over
// the unit cube, each with a decaying estimate of the field's density, and one bit per cell set
// where a sample of that density would be visible.
//
// An update visits `count` cells in round-robin order (first_cell, first_cell + 1, ...), so every
// cell is visited once every res^3 / count updates:
//   cell_points  a random point inside each visited cell (for the field to evaluate)
//   update_cells density[c] = max(density[c] * decay, sigma at the point)
//   sum_density  partial sums of density * step over blocks of cells, then mean_density: their mean
//   pack_bits    bit c = density[c] * step > min(threshold, mean): the opacity of one marching
//                step, approximately; capped by the grid's mean as instant-ngp does, so that a
//                young, foggy field (every cell below the threshold) does not lose its surfaces
//
// requires: random_uniform (random.wgsl)
// requires: Invocation, Workgroup, workgroup_index, invocation_index (dispatch.wgsl)
//
// Workgroup layout: 64 threads, one cell (pack_bits: one 32-cell word) each, numbered as
// dispatch.wgsl says; sum_density: 64 threads sum SUM_CELLS cells each, then the workgroup's 64
// sums are reduced in shared memory to one partial per workgroup; mean_density: one workgroup of
// 64 threads over the partials.

const WORKGROUP_SIZE: u32 = 64u;

struct Params {
  count: u32,
  res: u32,
  first_cell: u32,
  seed: u32,
  decay: f32,
  threshold: f32,
  step: f32,
  words: u32,
}

@group(0) @binding(0) var<uniform> params: Params;

fn visited_cell(i: u32) -> u32 {
  return (params.first_cell + i) % (params.res * params.res * params.res);
}

fn random(i: u32, draw: u32) -> f32 {
  return random_uniform(params.seed, i, draw);
}

@group(0) @binding(1) var<storage, read_write> points: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn cell_points(invocation: Invocation) {
  let i = invocation_index(invocation, WORKGROUP_SIZE);
  if (i >= params.count) {
    return;
  }
  let res = params.res;
  let c = visited_cell(i);
  let cell = vec3f(f32(c % res), f32((c / res) % res), f32(c / (res * res)));
  let p = (cell + vec3f(random(i, 0u), random(i, 1u), random(i, 2u))) / f32(res);
  points[i * 3u] = p.x;
  points[i * 3u + 1u] = p.y;
  points[i * 3u + 2u] = p.z;
}

@group(0) @binding(2) var<storage, read> raw_density: array<f32>;
@group(0) @binding(3) var<storage, read_write> density: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn update_cells(invocation: Invocation) {
  let i = invocation_index(invocation, WORKGROUP_SIZE);
  if (i >= params.count) {
    return;
  }
  let sigma = exp(clamp(raw_density[i], -15.0, 15.0));
  let c = visited_cell(i);
  density[c] = max(density[c] * params.decay, sigma);
}

@group(0) @binding(4) var<storage, read> density_in: array<f32>;
@group(0) @binding(5) var<storage, read_write> bits: array<u32>;
// Per workgroup of sum_density: the sum of its cells' density * step; then [0] = the mean.
@group(0) @binding(6) var<storage, read_write> partials: array<f32>;
@group(0) @binding(7) var<storage, read_write> mean: array<f32>;

const SUM_CELLS: u32 = 64u;
var<workgroup> shared_sums: array<f32, 64>;

fn reduce_shared(lid: u32) {
  for (var stride = 32u; stride > 0u; stride >>= 1u) {
    workgroupBarrier();
    if (lid < stride) {
      shared_sums[lid] += shared_sums[lid + stride];
    }
  }
  workgroupBarrier();
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn sum_density(workgroup: Workgroup, @builtin(local_invocation_index) lid: u32) {
  let group = workgroup_index(workgroup);
  let cells = params.words * 32u;
  let first = group * 64u * SUM_CELLS + lid;
  var sum = 0.0;
  for (var i = 0u; i < SUM_CELLS; i++) {
    let c = first + i * 64u;
    if (c < cells) {
      sum += density_in[c] * params.step;
    }
  }
  shared_sums[lid] = sum;
  reduce_shared(lid);
  if (lid == 0u) {
    partials[group] = shared_sums[0];
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn mean_density(@builtin(local_invocation_index) lid: u32) {
  let cells = params.words * 32u;
  let groups = (cells + 64u * SUM_CELLS - 1u) / (64u * SUM_CELLS);
  var sum = 0.0;
  for (var g = lid; g < groups; g += 64u) {
    sum += partials[g];
  }
  shared_sums[lid] = sum;
  reduce_shared(lid);
  if (lid == 0u) {
    mean[0] = shared_sums[0] / f32(cells);
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn pack_bits(invocation: Invocation) {
  let w = invocation_index(invocation, WORKGROUP_SIZE);
  if (w >= params.words) {
    return;
  }
  let threshold = min(params.threshold, mean[0]);
  var word = 0u;
  for (var b = 0u; b < 32u; b++) {
    if (density_in[w * 32u + b] * params.step > threshold) {
      word |= 1u << b;
    }
  }
  bits[w] = word;
}
