// A whole view of the field, one tile of pixels at a time: every pixel's ray, its samples in the
// occupied cells, the field's input for them, and, once the volume renderer has composited the
// tile, each pixel's output record.
//
// requires: Camera, PixelRay, March, pixel_ray, sh16, march_ray, march_count, march_write (ray-march.wgsl)
// requires: Invocation, invocation_index (dispatch.wgsl)
//
// A tile is `rays` consecutive pixels (row-major) from `first_pixel`, or, for a list of pixels
// (`listed`), the tile's entries of `pixel_list` (discovery reads a few pixels per segment); rays
// past the view's last pixel or the list's end are empty. Samples sit in the middle of each marching step, not at a random offset as in
// training, so a view renders the same every time, with the mean of training's sample positions.
// Unlike training, no ray is ever cut: the tile's sample arrays hold rays x max_samples.
//
//   view_rays      per ray: its occupied samples (at most max_samples)
//   (host)         exclusive prefix sum of the counts -> each ray's first sample; the tile's total
//   write_samples  per ray: its (first, count), and per sample (t, dt) and its ray
//   chunk_inputs   per sample of one chunk: position and the view direction's SH, as the field's
//                  input. The field runs on chunks of `chunk.count` samples, only as many chunks
//                  as the tile has samples, so empty space costs no field work.
//   finish_pixels  per ray: the composited record -> the pixel's output record (below)
//
// Rays are not stored: each kernel rebuilds its ray from the camera (the same arithmetic, so the
// same ray), which keeps the tile's buffers to what is per sample.
//
// Workgroup layout (all): 64 threads, one ray (chunk_inputs: one sample of the chunk) each,
// numbered as dispatch.wgsl says.

const WORKGROUP_SIZE: u32 = 64u;

struct Params {
  rays: u32,           // per tile
  first_pixel: u32,
  pixels: u32,         // width * height
  max_samples: u32,    // per ray
  grid_res: u32,       // occupancy cells per axis
  step: f32,           // marching step in the unit cube
  k: u32,              // embedding channels
  total: u32,          // samples of this tile (set once the prefix sum has been read)
  listed: u32,         // 1: ray r is pixel pixel_list[r]; `pixels` is then the list's length
}

struct Chunk {
  base: u32,           // first tile sample of the chunk
  count: u32,          // samples per chunk, the stride of the field's feature-major input
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<uniform> camera: Camera;
@group(0) @binding(2) var<storage, read> occupancy: array<u32>;
@group(0) @binding(3) var<storage, read_write> sample_count: array<u32>;

@group(0) @binding(13) var<storage, read> pixel_list: array<u32>;

fn tile_ray(r: u32) -> PixelRay {
  let pixel = select(params.first_pixel + r, pixel_list[r], params.listed != 0u);
  let w = camera.size.x;
  return pixel_ray(camera, pixel % w, pixel / w);
}

// Ray r's march, each sample in the middle of its step.
fn tile_march(r: u32) -> March {
  let ray = tile_ray(r);
  return march_ray(ray.origin, ray.dir, 0.5, params.step, params.grid_res);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn view_rays(invocation: Invocation) {
  let r = invocation_index(invocation, WORKGROUP_SIZE);
  if (r >= params.rays) {
    return;
  }
  var count = 0u;
  if (params.first_pixel + r < params.pixels) {
    count = march_count(tile_march(r), params.max_samples);
  }
  sample_count[r] = count;
}

@group(0) @binding(4) var<storage, read> first_sample: array<u32>;
@group(0) @binding(5) var<storage, read_write> sample_range: array<vec2u>;
@group(0) @binding(6) var<storage, read_write> sample_geom: array<vec2f>;
@group(0) @binding(7) var<storage, read_write> sample_ray: array<u32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn write_samples(invocation: Invocation) {
  let r = invocation_index(invocation, WORKGROUP_SIZE);
  if (r >= params.rays) {
    return;
  }
  let first = first_sample[r];
  let count = sample_count[r];
  sample_range[r] = vec2u(first, count);
  if (count == 0u) {
    return;
  }
  march_write(tile_march(r), r, first, count);
}

// Sample i, at t along ray r, for march_write (chunk_inputs rebuilds its position from t).
fn take_sample(r: u32, i: u32, t: f32, point: vec3f) {
  sample_geom[i] = vec2f(t, params.step);
  sample_ray[i] = r;
}

@group(0) @binding(8) var<uniform> chunk: Chunk;
@group(0) @binding(9) var<storage, read_write> positions: array<f32>;
// The colour network's input, feature-major over the chunk: rows 0..15 geometry features
// (written by the field), rows 16..31 the view direction's SH.
@group(0) @binding(10) var<storage, read_write> colour_input: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn chunk_inputs(invocation: Invocation) {
  let j = invocation_index(invocation, WORKGROUP_SIZE);
  if (j >= chunk.count) {
    return;
  }
  let i = chunk.base + j;
  // Past the tile's last sample: a valid point whose outputs nothing reads.
  var p = vec3f(0.5);
  var d = vec3f(0.0, 0.0, 1.0);
  if (i < params.total) {
    let ray = tile_ray(sample_ray[i]);
    p = ray.origin + sample_geom[i].x * ray.dir;
    d = ray.dir;
  }
  positions[j * 3u] = p.x;
  positions[j * 3u + 1u] = p.y;
  positions[j * 3u + 2u] = p.z;
  let sh = sh16(d);
  for (var c = 0u; c < 16u; c++) {
    colour_input[(16u + c) * chunk.count + j] = sh[c];
  }
}

// The volume renderer's record per ray: [r, g, b, depth (distance along the ray), opacity, logits(K)].
@group(0) @binding(11) var<storage, read> rendered: array<f32>;
// Per ray: [r, g, b, z-depth, opacity, entropy, entropy / log K, probabilities(K)].
@group(0) @binding(12) var<storage, read_write> pixel_out: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn finish_pixels(invocation: Invocation) {
  let r = invocation_index(invocation, WORKGROUP_SIZE);
  if (r >= params.rays || params.first_pixel + r >= params.pixels) {
    return;
  }
  let k = params.k;
  let src = r * (5u + k);
  let dst = r * (7u + k);
  pixel_out[dst] = rendered[src];
  pixel_out[dst + 1u] = rendered[src + 1u];
  pixel_out[dst + 2u] = rendered[src + 2u];
  // Training composites distance along the unit direction; a depth map holds z-depth.
  pixel_out[dst + 3u] = rendered[src + 3u] / tile_ray(r).len;
  pixel_out[dst + 4u] = rendered[src + 4u];
  // Softmax of the composited logits (as the KL loss sees them) and its entropy, in nats:
  // H = log Z - sum p_k x_k with x_k = logit - max, Z = sum exp(x_k).
  var top = -3.0e38;
  for (var c = 0u; c < k; c++) {
    top = max(top, rendered[src + 5u + c]);
  }
  var z = 0.0;
  var weighted = 0.0;
  for (var c = 0u; c < k; c++) {
    let x = rendered[src + 5u + c] - top;
    let e = exp(x);
    z += e;
    weighted += e * x;
  }
  var entropy = 0.0;
  if (k > 0u) {
    entropy = max(log(z) - weighted / z, 0.0);
  }
  pixel_out[dst + 5u] = entropy;
  pixel_out[dst + 6u] = select(0.0, entropy / log(f32(k)), k > 1u);
  for (var c = 0u; c < k; c++) {
    pixel_out[dst + 7u + c] = exp(rendered[src + 5u + c] - top) / z;
  }
}
