// Adam (Kingma & Ba), one thread per parameter, then the gradient is cleared for the next step's
// accumulation. Bias corrections are folded into the step size by the host:
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= lr_t m / (sqrt(v) + eps_t)
// with lr_t = lr sqrt(1 - b2^t) / (1 - b1^t) and eps_t = eps sqrt(1 - b2^t).
//
// Every parameter that is not finite after its step is counted in `non_finite` (all groups share
// it; the host reads and clears it with the losses): kernels downstream clamp what they read, so a
// ruined field can keep a finite loss, and this count is how a divergence is seen.
//
// Workgroup layout: 256 threads, one parameter each (numbered as dispatch.wgsl says).
//
// requires: Invocation, invocation_index (dispatch.wgsl)

const WORKGROUP_SIZE: u32 = 256u;

struct Params {
  count: u32,
  lr_t: f32,
  eps_t: f32,
  beta1: f32,
  beta2: f32,
  weight_decay: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> weights: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> first_moment: array<f32>;
@group(0) @binding(4) var<storage, read_write> second_moment: array<f32>;
@group(0) @binding(5) var<storage, read_write> non_finite: atomic<u32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn step(invocation: Invocation) {
  let i = invocation_index(invocation, WORKGROUP_SIZE);
  if (i >= params.count) {
    return;
  }
  var g = grad[i] + params.weight_decay * weights[i];
  // A NaN or inf gradient (a diverged sample) must not poison the moments for good.
  if (!(abs(g) <= 3.0e38)) {
    g = 0.0;
  }
  let m = params.beta1 * first_moment[i] + (1.0 - params.beta1) * g;
  let v = params.beta2 * second_moment[i] + (1.0 - params.beta2) * g * g;
  first_moment[i] = m;
  second_moment[i] = v;
  let w = weights[i] - params.lr_t * m / (sqrt(v) + params.eps_t);
  weights[i] = w;
  grad[i] = 0.0;
  if (!(abs(w) <= 3.0e38)) {
    atomicAdd(&non_finite, 1u);
  }
}
