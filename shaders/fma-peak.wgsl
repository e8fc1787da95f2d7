// The adapter's arithmetic peak: long chains of independent multiply-adds on values that never
// leave registers, in the two forms the app's kernels use (vec4 fma, and mat4x4 products as in
// shaders/mlp.wgsl). The benchmark reports the fastest form as the peak.
//
// Workgroup layout: 64 threads along x; every thread runs ITERATIONS rounds of its chains and
// writes its sum only if it is a value that cannot occur (so the compiler must keep the work).

override ITERATIONS: u32 = 1024u;

@group(0) @binding(0) var<storage, read_write> sink: array<vec4f>;

// 4 chains x 4 lanes x 2 flops = 32 flops per round.
@compute @workgroup_size(64)
fn vec4_fma(@builtin(global_invocation_id) gid: vec3u) {
  let seed = f32(gid.x) * 1e-7;
  var a0 = vec4f(seed);
  var a1 = vec4f(seed + 1e-3);
  var a2 = vec4f(seed + 2e-3);
  var a3 = vec4f(seed + 3e-3);
  let m = vec4f(0.9999);
  let c = vec4f(1e-6);
  for (var i = 0u; i < ITERATIONS; i++) {
    a0 = fma(a0, m, c);
    a1 = fma(a1, m, c);
    a2 = fma(a2, m, c);
    a3 = fma(a3, m, c);
  }
  let s = a0 + a1 + a2 + a3;
  if (s.x == -1.0) {
    sink[gid.x] = s;
  }
}

// 8 accumulators += m * b: 8 x 64 multiply-adds = 1024 flops, plus the 16 flops of b's decay, per
// round.
@compute @workgroup_size(64)
fn mat4_fma(@builtin(global_invocation_id) gid: vec3u) {
  let seed = f32(gid.x) * 1e-7;
  let m = mat4x4f(
    vec4f(0.25, 0.25, 0.25, 0.2499), vec4f(0.25, 0.25, 0.2499, 0.25),
    vec4f(0.25, 0.2499, 0.25, 0.25), vec4f(0.2499, 0.25, 0.25, 0.25)) * (1.0 + seed);
  var b = m * 0.5;
  var a0 = mat4x4f(); var a1 = mat4x4f(); var a2 = mat4x4f(); var a3 = mat4x4f();
  var a4 = mat4x4f(); var a5 = mat4x4f(); var a6 = mat4x4f(); var a7 = mat4x4f();
  for (var i = 0u; i < ITERATIONS; i++) {
    a0 += m * b; a1 += b * m; a2 += m * b; a3 += b * m;
    a4 += m * b; a5 += b * m; a6 += m * b; a7 += b * m;
    b = b * 0.999;
  }
  let s = (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7)[0];
  if (s.x == -1.0) {
    sink[gid.x] = s;
  }
}
