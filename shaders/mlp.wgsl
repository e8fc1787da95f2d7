// A tiny fully connected network (instant-ngp style: no biases, ReLU between layers, linear
// output), up to MAX_LAYERS layers of at most MAX_WIDTH units. Weights of layer l are row-major
// W_l[out][in], layers one after another in one buffer.
//
// Per sample, forward keeps every layer's input ("activations": input, hidden 1, ..., last
// hidden, stride act_stride) for the backward pass; backward_data turns d(loss)/d(output) into the
// per-layer deltas (d(loss)/d(pre-activation), stride delta_stride) and d(loss)/d(input);
// weight_grad reduces delta_l (x) act_l over the batch into the weight gradient.
//
// Workgroup layouts:
//   forward, backward_data  64 threads along x, one sample each (folded into y past 65535).
//   weight_grad             16 x 16 threads, one weight each of a 16 x 16 tile; workgroup x =
//                           tile, y = chunk of CHUNK samples, z = layer. Each thread sums its weight's
//                           gradient over the chunk, then adds it once (float atomics): contention is
//                           one add per weight per chunk.
//
// Needs float-atomics.wgsl prepended.

const MAX_LAYERS: u32 = 6u;
const MAX_WIDTH: u32 = 64u;
const CHUNK: u32 = 256u;

struct Layer {
  inputs: u32,
  outputs: u32,
  weight_offset: u32,
  act_offset: u32,    // where this layer's input sits in a sample's activation record
  delta_offset: u32,  // where this layer's delta sits in a sample's delta record
  tiles_x: u32,       // 16-wide tiles across inputs
  _pad0: u32,
  _pad1: u32,
}

struct Params {
  count: u32,
  layers: u32,
  act_stride: u32,
  delta_stride: u32,
  groups_x: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
  layer: array<Layer, MAX_LAYERS>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> weights: array<f32>;

fn sample_index(wid: vec3u, lid: u32) -> u32 {
  return (wid.x + wid.y * params.groups_x) * 64u + lid;
}

@group(0) @binding(2) var<storage, read> inputs: array<f32>;
@group(0) @binding(3) var<storage, read_write> outputs: array<f32>;
@group(0) @binding(4) var<storage, read_write> activations: array<f32>;

@compute @workgroup_size(64)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let s = sample_index(wid, lid);
  if (s >= params.count) {
    return;
  }
  var a: array<f32, MAX_WIDTH>;
  var b: array<f32, MAX_WIDTH>;
  let first = params.layer[0];
  for (var k = 0u; k < first.inputs; k++) {
    a[k] = inputs[s * first.inputs + k];
  }
  let record = s * params.act_stride;
  for (var l = 0u; l < params.layers; l++) {
    let layer = params.layer[l];
    for (var k = 0u; k < layer.inputs; k++) {
      activations[record + layer.act_offset + k] = a[k];
    }
    let last = l + 1u == params.layers;
    for (var o = 0u; o < layer.outputs; o++) {
      var sum = 0.0;
      let row = layer.weight_offset + o * layer.inputs;
      for (var k = 0u; k < layer.inputs; k++) {
        sum += weights[row + k] * a[k];
      }
      b[o] = select(max(sum, 0.0), sum, last);
    }
    for (var o = 0u; o < layer.outputs; o++) {
      a[o] = b[o];
    }
  }
  let out_layer = params.layer[params.layers - 1u];
  for (var o = 0u; o < out_layer.outputs; o++) {
    outputs[s * out_layer.outputs + o] = a[o];
  }
}

@group(0) @binding(5) var<storage, read> d_outputs: array<f32>;
@group(0) @binding(6) var<storage, read> saved_activations: array<f32>;
@group(0) @binding(7) var<storage, read_write> deltas: array<f32>;
@group(0) @binding(8) var<storage, read_write> d_inputs: array<f32>;

@compute @workgroup_size(64)
fn backward_data(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let s = sample_index(wid, lid);
  if (s >= params.count) {
    return;
  }
  var d: array<f32, MAX_WIDTH>;
  var e: array<f32, MAX_WIDTH>;
  let out_layer = params.layer[params.layers - 1u];
  for (var o = 0u; o < out_layer.outputs; o++) {
    d[o] = d_outputs[s * out_layer.outputs + o];
  }
  let act = s * params.act_stride;
  let delta = s * params.delta_stride;
  for (var li = 0u; li < params.layers; li++) {
    let l = params.layers - 1u - li;
    let layer = params.layer[l];
    // d holds d(loss)/d(pre-activation) of this layer's outputs.
    for (var o = 0u; o < layer.outputs; o++) {
      deltas[delta + layer.delta_offset + o] = d[o];
    }
    for (var k = 0u; k < layer.inputs; k++) {
      var sum = 0.0;
      for (var o = 0u; o < layer.outputs; o++) {
        sum += weights[layer.weight_offset + o * layer.inputs + k] * d[o];
      }
      // Through the ReLU that produced this input (the network input has none).
      let x = saved_activations[act + layer.act_offset + k];
      e[k] = select(sum, select(0.0, sum, x > 0.0), l > 0u);
    }
    for (var k = 0u; k < layer.inputs; k++) {
      d[k] = e[k];
    }
  }
  let first = params.layer[0];
  for (var k = 0u; k < first.inputs; k++) {
    d_inputs[s * first.inputs + k] = d[k];
  }
}

@group(0) @binding(9) var<storage, read> saved_deltas: array<f32>;
@group(0) @binding(10) var<storage, read_write> weight_grad: array<atomic<u32>>;

@compute @workgroup_size(16, 16)
fn weight_grad_kernel(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) tid: vec3u) {
  let layer = params.layer[wid.z];
  let tile_row = wid.x / layer.tiles_x;
  let tile_col = wid.x % layer.tiles_x;
  let o = tile_row * 16u + tid.y;
  let k = tile_col * 16u + tid.x;
  if (o >= layer.outputs || k >= layer.inputs) {
    return;
  }
  let begin = wid.y * CHUNK;
  let end = min(begin + CHUNK, params.count);
  var sum = 0.0;
  for (var s = begin; s < end; s++) {
    sum += saved_deltas[s * params.delta_stride + layer.delta_offset + o] * saved_activations[s * params.act_stride + layer.act_offset + k];
  }
  if (sum != 0.0) {
    atomic_add_f32(&weight_grad[layer.weight_offset + o * layer.inputs + k], sum);
  }
}
