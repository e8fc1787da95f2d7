// Training rays and their samples, on the GPU: random pixels of random training frames, marched
// through the unit cube in equal steps, keeping only samples in occupied cells of the occupancy
// grid (a bitfield of res^3 cells). Two passes around a prefix sum (sample compaction):
//
//   generate_rays  one thread per ray: picks frame and pixel (never a masked-out one), writes the
//                  ray and its training target, and counts its occupied samples (at most
//                  max_samples).
//   (host)         exclusive prefix sum of the counts -> each ray's first sample.
//   write_samples  one thread per ray: marches again and writes its samples' positions, (t, dt),
//                  the ray's view-direction encoding for each sample, and its (first, count), cut
//                  at the sample capacity.
//
// requires: random_uniform, random_background (random.wgsl)
// requires: Camera, pixel_ray, sh16, march_ray, march_span, march_count, march_write (ray-march.wgsl)
// requires: Invocation, invocation_index (dispatch.wgsl)
//
// Workgroup layout (both): 64 threads, one ray each (numbered as dispatch.wgsl says).

const WORKGROUP_SIZE: u32 = 64u;

struct Params {
  rays: u32,
  frames: u32,
  seed: u32,
  k: u32,              // embedding channels of the targets
  max_samples: u32,    // per ray
  capacity: u32,       // samples the batch buffers hold
  grid_res: u32,       // occupancy cells per axis
  step: f32,           // marching step in the unit cube
  background: vec3f,   // the colour transparent pixels were composited on
  random_background: u32, // 1: each ray's target is composited on random_background(seed, ray) instead
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> cameras: array<Camera>;
@group(0) @binding(2) var<storage, read> occupancy: array<u32>;
// Per ray: (origin, t_near), (direction, t_far).
@group(0) @binding(3) var<storage, read_write> rays: array<vec4f>;

fn random(ray: u32, draw: u32) -> f32 {
  return random_uniform(params.seed, ray, draw);
}

@group(0) @binding(4) var<storage, read> pixels: array<u32>;       // rgb8, MASKED_PIXEL and transparency in the top byte
@group(0) @binding(5) var<storage, read> depths: array<f32>;       // z-depth, normalised units, 0 = none
@group(0) @binding(6) var<storage, read_write> targets: array<f32>; // [r, g, b, distance, logits(K)]
@group(0) @binding(7) var<storage, read_write> sample_count: array<u32>;
// Per pixel, the class distribution packed by semantic-targets.ts: four class ids (bytes, 255 =
// none) and their probabilities (unorm8); the remaining mass is spread over the other classes.
@group(0) @binding(8) var<storage, read> semantic_targets: array<vec2u>;

// A pixel the frame's mask hides: never drawn (training-frames.ts sets it, the same value).
const MASKED_PIXEL: u32 = 0x1000000u;
// The pixel's transparency (1 - alpha) in 127ths sits in the word's top 7 bits (training-frames.ts).
const TRANSPARENCY_SHIFT: u32 = 25u;
// Draws of a random pixel before the fallback: with half the pixels masked, 1 ray in 65536 falls back.
const DRAW_TRIES: u32 = 16u;

struct DrawnPixel {
  frame: u32,
  px: u32,
  py: u32,
}

// A random pixel of a random frame that is not masked out: each try draws frame and pixel afresh,
// so the kept pixels are equally likely (as without masks, where the first try is always taken).
// After DRAW_TRIES masked draws, the next kept pixel of the last frame drawn, in row order from the
// last pixel drawn; every frame keeps some (the loader skips frames whose mask keeps none).
fn draw_pixel(r: u32) -> DrawnPixel {
  var frame = 0u;
  var px = 0u;
  var py = 0u;
  for (var t = 0u; t < DRAW_TRIES; t++) {
    // The first try takes draws 0..2, later ones 4.. (draw 3 is the march's offset).
    let d = select(0u, 4u + 3u * (t - 1u), t > 0u);
    frame = min(u32(random(r, d) * f32(params.frames)), params.frames - 1u);
    let cam = cameras[frame];
    px = min(u32(random(r, d + 1u) * f32(cam.size.x)), cam.size.x - 1u);
    py = min(u32(random(r, d + 2u) * f32(cam.size.y)), cam.size.y - 1u);
    if ((pixels[cam.size.z + py * cam.size.x + px] & MASKED_PIXEL) == 0u) {
      return DrawnPixel(frame, px, py);
    }
  }
  let cam = cameras[frame];
  let n = cam.size.x * cam.size.y;
  var p = py * cam.size.x + px;
  for (var s = 0u; s < n; s++) {
    p = (p + 1u) % n;
    if ((pixels[cam.size.z + p] & MASKED_PIXEL) == 0u) {
      break;
    }
  }
  return DrawnPixel(frame, p % cam.size.x, p / cam.size.x);
}

// Target logits are ln p; the floor keeps ln finite for classes a pixel gives (nearly) no mass,
// and sits below unorm8's smallest step so it never outweighs a stored probability.
const TARGET_PROB_FLOOR: f32 = 1e-4;

@compute @workgroup_size(WORKGROUP_SIZE)
fn generate_rays(invocation: Invocation) {
  let r = invocation_index(invocation, WORKGROUP_SIZE);
  if (r >= params.rays) {
    return;
  }
  let drawn = draw_pixel(r);
  let cam = cameras[drawn.frame];
  let w = cam.size.x;
  let px = drawn.px;
  let py = drawn.py;
  let ray = pixel_ray(cam, px, py);
  let len = ray.len;
  let d = ray.dir;
  let o = ray.origin;
  // The first sample's offset into its step is random, the same in both passes.
  let march = march_ray(o, d, random(r, 3u), params.step, params.grid_res);
  rays[r * 2u] = vec4f(o, march.t_near);
  rays[r * 2u + 1u] = vec4f(d, march.t_far);

  let pixel = cam.size.z + py * w + px;
  let word = pixels[pixel];
  var colour = unpack4x8unorm(word).xyz;
  if (params.random_background != 0u) {
    // The stored colour is c a + background (1 - a): moved onto this ray's own background.
    let transparency = f32(word >> TRANSPARENCY_SHIFT) / 127.0;
    colour += transparency * (random_background(params.seed, r) - params.background);
  }
  let t = r * (4u + params.k);
  targets[t] = colour.x;
  targets[t + 1u] = colour.y;
  targets[t + 2u] = colour.z;
  // z-depth to distance along the unit direction.
  targets[t + 3u] = depths[pixel] * len;
  let packed = semantic_targets[pixel];
  let probs = unpack4x8unorm(packed.y);
  var used = 0u;
  var mass = 0.0;
  for (var s = 0u; s < 4u; s++) {
    if (extractBits(packed.x, 8u * s, 8u) < params.k) {
      used++;
      mass += probs[s];
    }
  }
  let rest = log(max(max(1.0 - mass, 0.0) / f32(max(params.k - used, 1u)), TARGET_PROB_FLOOR));
  for (var k = 0u; k < params.k; k++) {
    targets[t + 4u + k] = rest;
  }
  for (var s = 0u; s < 4u; s++) {
    let c = extractBits(packed.x, 8u * s, 8u);
    if (c < params.k) {
      targets[t + 4u + c] = log(max(probs[s], TARGET_PROB_FLOOR));
    }
  }

  sample_count[r] = march_count(march, params.max_samples);
}

@group(0) @binding(9) var<storage, read> first_sample: array<u32>;
@group(0) @binding(10) var<storage, read_write> sample_range: array<vec2u>;
@group(0) @binding(11) var<storage, read_write> positions: array<f32>;
@group(0) @binding(12) var<storage, read_write> sample_geom: array<vec2f>;
// The colour network's input, feature-major over the capacity: rows 0..15 geometry features
// (written by the field), rows 16..31 the view direction's SH.
@group(0) @binding(13) var<storage, read_write> colour_input: array<f32>;
@group(0) @binding(14) var<storage, read> rays_in: array<vec4f>;
@group(0) @binding(15) var<storage, read> sample_count_in: array<u32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn write_samples(invocation: Invocation) {
  let r = invocation_index(invocation, WORKGROUP_SIZE);
  if (r >= params.rays) {
    return;
  }
  let first = first_sample[r];
  let wanted = sample_count_in[r];
  let count = select(0u, min(wanted, params.capacity - first), first < params.capacity);
  sample_range[r] = vec2u(first, count);
  if (count == 0u) {
    return;
  }
  let a = rays_in[r * 2u];
  let b = rays_in[r * 2u + 1u];
  let o = a.xyz;
  let d = b.xyz;
  march_write(march_span(o, d, vec2f(a.w, b.w), random(r, 3u), params.step, params.grid_res), r, first, count);
  // Every sample of the ray has its view direction.
  let sh = sh16(d);
  for (var i = first; i < first + count; i++) {
    for (var c = 0u; c < 16u; c++) {
      colour_input[(16u + c) * params.capacity + i] = sh[c];
    }
  }
}

// Sample i, at t along the ray, for march_write.
fn take_sample(ray: u32, i: u32, t: f32, point: vec3f) {
  positions[i * 3u] = point.x;
  positions[i * 3u + 1u] = point.y;
  positions[i * 3u + 2u] = point.z;
  sample_geom[i] = vec2f(t, params.step);
}
