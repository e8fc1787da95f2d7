// Volume rendering of a batch of rays from their compacted samples, the per-ray losses, and the
// backward pass to the field's raw outputs.
//
// Samples of ray r are sample_range[r].x .. + sample_range[r].y, front to back, each with its
// distance t and length dt along the ray (sample_geom). The field gives per sample raw =
// (density, r, g, b) (sigma = exp(density), clamped as instant-ngp's truncated exponential;
// colour = sigmoid) and K embedding logits (feature-major, as the networks write them). Colour, depth (expected t) and logits are composited
// with the same weights w_i = T_i (1 - exp(-sigma_i dt_i)); colour sees `background` through the
// remaining transmittance (or, when random_background is set, the ray's own random colour, the
// one the ray sampler composited its target on).
//
// Per-ray records (packed so that no kernel binds more than 8 storage buffers, WebGPU's default):
//   rendered    [r, g, b, depth, opacity, logits(K)]   stride 5 + K
//   targets     [r, g, b, depth (0 = none), logits(K)] stride 4 + K
//   d_rendered  [d r, d g, d b, d depth, d logits(K)]  stride 4 + K
//
// Workgroup layout (all kernels): 64 threads, one ray each (numbered as dispatch.wgsl says).
//
// requires: Invocation, invocation_index (dispatch.wgsl)
// requires: random_background (random.wgsl)
//
//   composite           rendered values per ray
//   ray_loss            Huber on colour, L1 on depth where the target has depth, lambda
//                       KL(softmax(target) || softmax(rendered)) on logits, and their gradients
//   composite_backward  d(loss)/d(raw) and d(loss)/d(logits) of every sample

const WORKGROUP_SIZE: u32 = 64u;

struct Params {
  rays: u32,
  k: u32,                 // embedding channels
  early_stop: f32,        // stop marching once transmittance drops below this
  background: vec3f,
  huber_delta: f32,
  depth_weight: f32,
  kl_weight: f32,
  loss_scale: f32,        // 1 / rays: losses are means over the batch
  samples: u32,           // stride of the feature-major logits: logit k of sample s at k * samples + s
  random_background: u32, // 1: ray r ends on random_background(seed, r), not on background
  seed: u32,              // the ray sampler's seed of this batch
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> sample_range: array<vec2u>;
@group(0) @binding(2) var<storage, read> sample_geom: array<vec2f>;
@group(0) @binding(3) var<storage, read> raw: array<vec4f>;
@group(0) @binding(4) var<storage, read> logits: array<f32>;

fn rendered_stride() -> u32 {
  return 5u + params.k;
}

fn target_stride() -> u32 {
  return 4u + params.k;
}

fn density(x: f32) -> f32 {
  return exp(clamp(x, -15.0, 15.0));
}

fn sigmoid3(x: vec3f) -> vec3f {
  return 1.0 / (1.0 + exp(-x));
}

@group(0) @binding(5) var<storage, read_write> rendered: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn composite(invocation: Invocation) {
  let r = invocation_index(invocation, WORKGROUP_SIZE);
  if (r >= params.rays) {
    return;
  }
  let out = r * rendered_stride();
  var transmittance = 1.0;
  var c = vec3f(0.0);
  var depth = 0.0;
  for (var k = 0u; k < params.k; k++) {
    rendered[out + 5u + k] = 0.0;
  }
  let range = sample_range[r];
  for (var i = 0u; i < range.y; i++) {
    let s = range.x + i;
    let v = raw[s];
    let geom = sample_geom[s];
    let alpha = 1.0 - exp(-density(v.x) * geom.y);
    let w = transmittance * alpha;
    c += w * sigmoid3(v.yzw);
    depth += w * geom.x;
    for (var k = 0u; k < params.k; k++) {
      rendered[out + 5u + k] += w * logits[k * params.samples + s];
    }
    transmittance *= 1.0 - alpha;
    if (transmittance < params.early_stop) {
      break;
    }
  }
  var background = params.background;
  if (params.random_background != 0u) {
    background = random_background(params.seed, r);
  }
  c += transmittance * background;
  rendered[out] = c.x;
  rendered[out + 1u] = c.y;
  rendered[out + 2u] = c.z;
  rendered[out + 3u] = depth;
  rendered[out + 4u] = 1.0 - transmittance;
}

@group(0) @binding(6) var<storage, read> targets: array<f32>;
@group(0) @binding(7) var<storage, read> rendered_in: array<f32>;
@group(0) @binding(8) var<storage, read_write> d_rendered: array<f32>;
// Per ray: colour, depth and KL loss terms (weighted, not yet averaged).
@group(0) @binding(9) var<storage, read_write> ray_losses: array<f32>;

fn huber(x: f32) -> vec2f {
  // (loss, derivative)
  let a = abs(x);
  let d = params.huber_delta;
  if (a <= d) {
    return vec2f(0.5 * x * x / d, x / d);
  }
  return vec2f(a - 0.5 * d, sign(x));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn ray_loss(invocation: Invocation) {
  let r = invocation_index(invocation, WORKGROUP_SIZE);
  if (r >= params.rays) {
    return;
  }
  let ren = r * rendered_stride();
  let tgt = r * target_stride();
  let grad = r * target_stride();
  var colour_loss = 0.0;
  for (var c = 0u; c < 3u; c++) {
    let h = huber(rendered_in[ren + c] - targets[tgt + c]);
    colour_loss += h.x;
    d_rendered[grad + c] = h.y * params.loss_scale;
  }
  let target_depth = targets[tgt + 3u];
  var depth_loss = 0.0;
  d_rendered[grad + 3u] = 0.0;
  if (target_depth > 0.0) {
    let e = rendered_in[ren + 3u] - target_depth;
    depth_loss = params.depth_weight * abs(e);
    d_rendered[grad + 3u] = params.depth_weight * sign(e) * params.loss_scale;
  }
  // KL(p || q), p = softmax(target), q = softmax(rendered); d/d(rendered) = q - p.
  var kl = 0.0;
  if (params.k > 0u) {
    var max_t = -3.0e38;
    var max_r = -3.0e38;
    for (var k = 0u; k < params.k; k++) {
      max_t = max(max_t, targets[tgt + 4u + k]);
      max_r = max(max_r, rendered_in[ren + 5u + k]);
    }
    var sum_t = 0.0;
    var sum_r = 0.0;
    for (var k = 0u; k < params.k; k++) {
      sum_t += exp(targets[tgt + 4u + k] - max_t);
      sum_r += exp(rendered_in[ren + 5u + k] - max_r);
    }
    let log_zt = max_t + log(sum_t);
    let log_zr = max_r + log(sum_r);
    for (var k = 0u; k < params.k; k++) {
      let log_p = targets[tgt + 4u + k] - log_zt;
      let log_q = rendered_in[ren + 5u + k] - log_zr;
      let p = exp(log_p);
      kl += p * (log_p - log_q);
      d_rendered[grad + 4u + k] = params.kl_weight * (exp(log_q) - p) * params.loss_scale;
    }
    kl *= params.kl_weight;
  }
  ray_losses[r * 3u] = colour_loss;
  ray_losses[r * 3u + 1u] = depth_loss;
  ray_losses[r * 3u + 2u] = kl;
}

@group(0) @binding(10) var<storage, read> d_rendered_in: array<f32>;
@group(0) @binding(11) var<storage, read_write> d_raw: array<vec4f>;
@group(0) @binding(12) var<storage, read_write> d_logits: array<f32>;

// With Y = sum_i w_i y_i + T_n b: dY/d(sigma_i) = dt_i (T_{i+1} y_i - (Y - Y_{<=i})). The loss sees Y
// only through g . Y (g = d(loss)/dY), so a second walk along the ray, knowing g . Y, gives every
// sample's density gradient.
@compute @workgroup_size(WORKGROUP_SIZE)
fn composite_backward(invocation: Invocation) {
  let r = invocation_index(invocation, WORKGROUP_SIZE);
  if (r >= params.rays) {
    return;
  }
  let ren = r * rendered_stride();
  let grad = r * target_stride();
  let g_rgb = vec3f(d_rendered_in[grad], d_rendered_in[grad + 1u], d_rendered_in[grad + 2u]);
  let g_depth = d_rendered_in[grad + 3u];
  var g_dot_final = dot(g_rgb, vec3f(rendered_in[ren], rendered_in[ren + 1u], rendered_in[ren + 2u])) + g_depth * rendered_in[ren + 3u];
  for (var k = 0u; k < params.k; k++) {
    g_dot_final += d_rendered_in[grad + 4u + k] * rendered_in[ren + 5u + k];
  }
  var transmittance = 1.0;
  var g_dot_partial = 0.0;
  var stopped = false;
  let range = sample_range[r];
  for (var i = 0u; i < range.y; i++) {
    let s = range.x + i;
    if (stopped) {
      d_raw[s] = vec4f(0.0);
      for (var k = 0u; k < params.k; k++) {
        d_logits[k * params.samples + s] = 0.0;
      }
      continue;
    }
    let v = raw[s];
    let geom = sample_geom[s];
    let sigma = density(v.x);
    let alpha = 1.0 - exp(-sigma * geom.y);
    let w = transmittance * alpha;
    let rgb = sigmoid3(v.yzw);
    var g_dot_y = dot(g_rgb, rgb) + g_depth * geom.x;
    for (var k = 0u; k < params.k; k++) {
      let g = d_rendered_in[grad + 4u + k];
      g_dot_y += g * logits[k * params.samples + s];
      d_logits[k * params.samples + s] = w * g;
    }
    g_dot_partial += w * g_dot_y;
    let next_t = transmittance * (1.0 - alpha);
    let d_sigma = geom.y * (next_t * g_dot_y - (g_dot_final - g_dot_partial));
    // The derivative of the clamped exponential: 0 outside the clamp.
    let d_density = select(0.0, d_sigma * sigma, v.x > -15.0 && v.x < 15.0);
    d_raw[s] = vec4f(d_density, w * g_rgb * rgb * (1.0 - rgb));
    transmittance = next_t;
    if (transmittance < params.early_stop) {
      stopped = true;
    }
  }
}
