// The adapter's arithmetic peak: long chains of independent multiply-adds on values that never
// leave registers, in the forms the app's kernels use (vec4 fma; matrix products, as in
// shaders/mlp.wgsl). The benchmark reports the fastest form as the peak. No two products of a
// round are the same expression: a compiler that merged them would inflate the figure.
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

fn peak_matrix(seed: f32) -> mat4x4f {
  return mat4x4f(
    vec4f(0.25, 0.25, 0.25, 0.2499), vec4f(0.25, 0.25, 0.2499, 0.25),
    vec4f(0.25, 0.2499, 0.25, 0.25), vec4f(0.2499, 0.25, 0.25, 0.25)) * (1.0 + seed);
}

// Four chains v = M_i v, with four different matrices: 4 x 16 multiply-adds = 128 flops per
// round. Every product differs, so no compiler can merge them.
@compute @workgroup_size(64)
fn mat4_vec4(@builtin(global_invocation_id) gid: vec3u) {
  let seed = f32(gid.x) * 1e-9;
  let m0 = peak_matrix(seed);
  let m1 = peak_matrix(seed + 0.01);
  let m2 = peak_matrix(seed + 0.02);
  let m3 = peak_matrix(seed + 0.03);
  var a0 = vec4f(seed);
  var a1 = vec4f(seed + 1.0);
  var a2 = vec4f(seed + 2.0);
  var a3 = vec4f(seed + 3.0);
  for (var i = 0u; i < ITERATIONS; i++) {
    a0 = m0 * a0;
    a1 = m1 * a1;
    a2 = m2 * a2;
    a3 = m3 * a3;
  }
  let s = a0 + a1 + a2 + a3;
  if (s.x == -1.0) {
    sink[gid.x] = s;
  }
}

// Eight accumulators A_i += M_i B with eight different matrices M_i and B changing every round:
// 8 x 64 multiply-adds, plus the 16 flops of B's decay, per round.
@compute @workgroup_size(64)
fn mat4_mat4(@builtin(global_invocation_id) gid: vec3u) {
  let seed = f32(gid.x) * 1e-9;
  let m0 = peak_matrix(seed); let m1 = peak_matrix(seed + 0.01);
  let m2 = peak_matrix(seed + 0.02); let m3 = peak_matrix(seed + 0.03);
  let m4 = peak_matrix(seed + 0.04); let m5 = peak_matrix(seed + 0.05);
  let m6 = peak_matrix(seed + 0.06); let m7 = peak_matrix(seed + 0.07);
  var b = m0 * 0.5;
  var a0 = mat4x4f(); var a1 = mat4x4f(); var a2 = mat4x4f(); var a3 = mat4x4f();
  var a4 = mat4x4f(); var a5 = mat4x4f(); var a6 = mat4x4f(); var a7 = mat4x4f();
  for (var i = 0u; i < ITERATIONS; i++) {
    a0 += m0 * b; a1 += m1 * b; a2 += m2 * b; a3 += m3 * b;
    a4 += m4 * b; a5 += m5 * b; a6 += m6 * b; a7 += m7 * b;
    b = b * 0.999;
  }
  let s = (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7)[0];
  if (s.x == -1.0) {
    sink[gid.x] = s;
  }
}
