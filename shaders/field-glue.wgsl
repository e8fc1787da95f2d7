// The joints of the Embedding-NeRF between its networks (per sample; no learned parameters):
//
//   density net:   hash features (L*F) -> 16 outputs: [raw density, 15 geometry features]
//   embedding net: the 16 density outputs -> K logits   (position only: no view direction)
//   colour net:    [16 density outputs, 16 SH of the view direction] -> raw rgb
//
//   gather_geometry  copies the density outputs into the first half of the colour input
//   pack_raw         (raw density, raw rgb) per sample for the volume renderer
//   split_grads      d(loss)/d(raw) -> d(colour output); and, once the colour and embedding nets
//                    have given d(loss)/d(their inputs), the total d(loss)/d(density outputs)
//
// Per-sample arrays are feature-major (value j of sample s at j * count + s), except raw and
// d_raw, which the volume renderer reads as one vec4 per sample.
//
// Workgroup layout (all): 64 threads, one sample each (numbered as dispatch.wgsl says).
//
// requires: Invocation, invocation_index (dispatch.wgsl)

const WORKGROUP_SIZE: u32 = 64u;

struct Params {
  count: u32,
}

@group(0) @binding(0) var<uniform> params: Params;

@group(0) @binding(1) var<storage, read> density_out: array<f32>;
@group(0) @binding(2) var<storage, read_write> colour_input: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn gather_geometry(invocation: Invocation) {
  let s = invocation_index(invocation, WORKGROUP_SIZE);
  if (s >= params.count) {
    return;
  }
  for (var c = 0u; c < 16u; c++) {
    colour_input[c * params.count + s] = density_out[c * params.count + s];
  }
}

@group(0) @binding(3) var<storage, read> colour_out: array<f32>;
@group(0) @binding(4) var<storage, read_write> raw: array<vec4f>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn pack_raw(invocation: Invocation) {
  let s = invocation_index(invocation, WORKGROUP_SIZE);
  if (s >= params.count) {
    return;
  }
  let n = params.count;
  raw[s] = vec4f(density_out[s], colour_out[s], colour_out[n + s], colour_out[2u * n + s]);
}

@group(0) @binding(5) var<storage, read> d_raw: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> d_colour_out: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn split_colour_grad(invocation: Invocation) {
  let s = invocation_index(invocation, WORKGROUP_SIZE);
  if (s >= params.count) {
    return;
  }
  let g = d_raw[s];
  d_colour_out[s] = g.y;
  d_colour_out[params.count + s] = g.z;
  d_colour_out[2u * params.count + s] = g.w;
}

@group(0) @binding(7) var<storage, read> d_colour_in: array<f32>;
@group(0) @binding(8) var<storage, read> d_embedding_in: array<f32>;
@group(0) @binding(9) var<storage, read_write> d_density_out: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn sum_density_grad(invocation: Invocation) {
  let s = invocation_index(invocation, WORKGROUP_SIZE);
  if (s >= params.count) {
    return;
  }
  for (var c = 0u; c < 16u; c++) {
    let i = c * params.count + s;
    var g = d_colour_in[i] + d_embedding_in[i];
    if (c == 0u) {
      g += d_raw[s].x;
    }
    d_density_out[i] = g;
  }
}
