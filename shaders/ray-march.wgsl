// Camera rays and the occupancy march, shared by the kernels that cast rays into the field (the
// training sampler, the view renderer). Keeping one copy keeps training and rendering on exactly
// the same rays, samples and view encoding.
//
// The march: equal steps from a first sample (training draws its offset into the first step, views
// take the middle) while inside the cube, keeping the samples whose cell of the occupancy grid is
// set. Counting (march_count) and writing (march_write) walk the same steps, so a ray's second pass
// finds the very samples its first one counted. Each is one flat loop over the steps: a loop per
// sample around a loop over empty steps would cost a software adapter, which runs invocations in
// lockstep, the longest gap of any of them at every sample.
//
// requires: occupancy (the including kernel's binding: array<u32>, the occupancy bitfield of res^3 cells)
// requires: take_sample (the including kernel's function that march_write hands each sample to)
//
// Camera records: row-major camera-to-world rows 0..2 (OpenCV axes, normalised scene), then
// (fx, fy, cx, cy), then (width, height, first pixel, 0) as bits.

struct Camera {
  row0: vec4f,
  row1: vec4f,
  row2: vec4f,
  k: vec4f,
  size: vec4u,
}

struct PixelRay {
  origin: vec3f,
  dir: vec3f,   // unit length
  // Length of the camera-space direction (x, y, 1) in the world: z-depth * len = distance.
  len: f32,
}

// Through the pixel centre: the pixel's colour is the mean over it, its depth at its centre.
fn pixel_ray(cam: Camera, px: u32, py: u32) -> PixelRay {
  let dc = vec3f((f32(px) + 0.5 - cam.k.z) / cam.k.x, (f32(py) + 0.5 - cam.k.w) / cam.k.y, 1.0);
  let dw = vec3f(dot(cam.row0.xyz, dc), dot(cam.row1.xyz, dc), dot(cam.row2.xyz, dc));
  let len = length(dw);
  return PixelRay(vec3f(cam.row0.w, cam.row1.w, cam.row2.w), dw / len, len);
}

// Entry and exit of the unit cube; empty when t_far <= t_near.
fn unit_cube(o: vec3f, d: vec3f) -> vec2f {
  let inv = 1.0 / d;
  let a = (vec3f(0.0) - o) * inv;
  let b = (vec3f(1.0) - o) * inv;
  let lo = min(a, b);
  let hi = max(a, b);
  return vec2f(max(max(max(lo.x, lo.y), lo.z), 0.0), min(min(hi.x, hi.y), hi.z));
}

fn occupied(p: vec3f, res: u32) -> bool {
  let c = min(vec3u(max(p, vec3f(0.0)) * f32(res)), vec3u(res - 1u));
  let cell = c.x + res * (c.y + res * c.z);
  return (occupancy[cell >> 5u] & (1u << (cell & 31u))) != 0u;
}

// A ray's march through the cube, [t_near, t_far) along it: equal steps from first_t.
struct March {
  origin: vec3f,
  dir: vec3f,
  t_near: f32,
  t_far: f32,
  first_t: f32,
  step: f32,
  grid_res: u32,   // occupancy cells per axis
}

// The march of the ray from `origin` along `dir`, its first sample `offset` (in [0, 1)) into its
// first step.
fn march_ray(origin: vec3f, dir: vec3f, offset: f32, step: f32, grid_res: u32) -> March {
  return march_span(origin, dir, unit_cube(origin, dir), offset, step, grid_res);
}

// The same with the span inside the cube already known (unit_cube).
fn march_span(origin: vec3f, dir: vec3f, span: vec2f, offset: f32, step: f32, grid_res: u32) -> March {
  return March(origin, dir, span.x, span.y, span.x + offset * step, step, grid_res);
}

// The march's occupied samples, at most `most` (march_write's walk, without writing).
fn march_count(m: March, most: u32) -> u32 {
  var count = 0u;
  var t = m.first_t;
  while (t < m.t_far && count < most) {
    if (occupied(m.origin + t * m.dir, m.grid_res)) {
      count++;
    }
    t += m.step;
  }
  return count;
}

// The same walk, handing the march's first `count` samples to the including kernel:
// take_sample(ray, first, t, point), take_sample(ray, first + 1, ...), ...
fn march_write(m: March, ray: u32, first: u32, count: u32) {
  var written = 0u;
  var t = m.first_t;
  while (t < m.t_far && written < count) {
    let p = m.origin + t * m.dir;
    if (occupied(p, m.grid_res)) {
      take_sample(ray, first + written, t, p);
      written++;
    }
    t += m.step;
  }
}

// Real spherical harmonics up to degree 3 (16 coefficients) of a unit direction.
fn sh16(d: vec3f) -> array<f32, 16> {
  let x = d.x;
  let y = d.y;
  let z = d.z;
  let xx = x * x;
  let yy = y * y;
  let zz = z * z;
  return array<f32, 16>(
    0.28209479177387814,
    -0.48860251190291987 * y,
    0.48860251190291987 * z,
    -0.48860251190291987 * x,
    1.0925484305920792 * x * y,
    -1.0925484305920792 * y * z,
    0.94617469575755997 * zz - 0.31539156525251999,
    -1.0925484305920792 * x * z,
    0.54627421529603959 * (xx - yy),
    0.59004358992664352 * y * (-3.0 * xx + yy),
    2.8906114426405538 * x * y * z,
    0.45704579946446572 * y * (1.0 - 5.0 * zz),
    0.3731763325901154 * z * (5.0 * zz - 3.0),
    0.45704579946446572 * x * (1.0 - 5.0 * zz),
    1.4453057213202769 * z * (xx - yy),
    0.59004358992664352 * x * (-xx + 3.0 * yy),
  );
}
