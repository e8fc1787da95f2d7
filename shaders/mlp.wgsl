// A tiny fully connected network (instant-ngp style: no biases, ReLU between layers, linear
// output), up to MAX_LAYERS layers. Weights of layer l are row-major W_l[out][in], layers one
// after another in one buffer.
//
// Every per-sample array is feature-major: value j of sample s is at j * count + s. Threads are
// samples, so neighbouring threads touch neighbouring words, and every thread of a workgroup reads
// the same weight at the same time (a broadcast); nothing per sample lives in private arrays,
// which software adapters cannot keep in registers.
//
// The network's input is `inputs`; the outputs of the hidden layers are kept in `activations`
// (hidden_rows rows) for the backward pass; the last layer writes `outputs`. Backward turns
// d(loss)/d(outputs) into deltas of the hidden layers (d(loss)/d(pre-activation), same rows as the
// activations) and d(loss)/d(inputs); weight_grad then reduces delta (x) input over the batch.
//
// Workgroup layouts:
//   forward, backward_data  64 threads along x, one sample each (folded into y past 65535).
//   weight_grad_kernel      16 x 16 threads, one weight each of a 16 x 16 tile; workgroup x =
//                           tile, y = chunk of CHUNK samples, z = layer. Each thread sums over the
//                           chunk (two contiguous streams), then adds once (float atomics).
//
// Needs float-atomics.wgsl prepended.

const MAX_LAYERS: u32 = 6u;
const CHUNK: u32 = 256u;

struct Layer {
  inputs: u32,
  outputs: u32,
  weight_offset: u32,
  in_row: u32,      // first activation row of this layer's input (layers > 0)
  out_row: u32,     // first activation row of this layer's output (hidden layers)
  tiles_x: u32,     // 16-wide tiles across inputs
  _pad0: u32,
  _pad1: u32,
}

struct Params {
  count: u32,
  layers: u32,
  groups_x: u32,
  _pad0: u32,
  layer: array<Layer, MAX_LAYERS>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read> inputs: array<f32>;

fn sample_index(wid: vec3u, lid: u32) -> u32 {
  return (wid.x + wid.y * params.groups_x) * 64u + lid;
}

@group(0) @binding(3) var<storage, read_write> outputs: array<f32>;
@group(0) @binding(4) var<storage, read_write> activations: array<f32>;

@compute @workgroup_size(64)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let s = sample_index(wid, lid);
  let n = params.count;
  if (s >= n) {
    return;
  }
  let layers = params.layers;
  for (var l = 0u; l < layers; l++) {
    let layer = params.layer[l];
    let inputs_n = layer.inputs;
    let outputs_n = layer.outputs;
    let last = l + 1u == layers;
    // Uniform per layer: where this layer reads its input from.
    let in_base = select((layer.in_row * n) + s, s, l == 0u);
    var row = layer.weight_offset;
    for (var o = 0u; o < outputs_n; o++) {
      var sum = 0.0;
      var at = in_base;
      if (l == 0u) {
        for (var k = 0u; k < inputs_n; k++) {
          sum = fma(weights[row + k], inputs[at], sum);
          at += n;
        }
      } else {
        for (var k = 0u; k < inputs_n; k++) {
          sum = fma(weights[row + k], activations[at], sum);
          at += n;
        }
      }
      if (last) {
        outputs[o * n + s] = sum;
      } else {
        activations[(layer.out_row + o) * n + s] = max(sum, 0.0);
      }
      row += inputs_n;
    }
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
  let n = params.count;
  for (var li = 0u; li < params.layers; li++) {
    let l = params.layers - 1u - li;
    let layer = params.layer[l];
    let last = l + 1u == params.layers;
    for (var k = 0u; k < layer.inputs; k++) {
      var sum = 0.0;
      for (var o = 0u; o < layer.outputs; o++) {
        var d: f32;
        if (last) {
          d = d_outputs[o * n + s];
        } else {
          d = deltas[(layer.out_row + o) * n + s];
        }
        sum += weights[layer.weight_offset + o * layer.inputs + k] * d;
      }
      if (l == 0u) {
        d_inputs[k * n + s] = sum;
      } else {
        // Through the ReLU that produced this input.
        let row = (layer.in_row + k) * n + s;
        deltas[row] = select(0.0, sum, saved_activations[row] > 0.0);
      }
    }
  }
}

@group(0) @binding(9) var<storage, read> saved_deltas: array<f32>;
@group(0) @binding(10) var<storage, read_write> weight_grad: array<atomic<u32>>;

@compute @workgroup_size(16, 16)
fn weight_grad_kernel(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) tid: vec3u) {
  let l = wid.z;
  let layer = params.layer[l];
  let tile_row = wid.x / layer.tiles_x;
  let tile_col = wid.x % layer.tiles_x;
  let o = tile_row * 16u + tid.y;
  let k = tile_col * 16u + tid.x;
  if (o >= layer.outputs || k >= layer.inputs) {
    return;
  }
  let n = params.count;
  let begin = wid.y * CHUNK;
  let end = min(begin + CHUNK, n);
  let last = l + 1u == params.layers;
  var sum = 0.0;
  for (var s = begin; s < end; s++) {
    var d: f32;
    if (last) {
      d = d_outputs[o * n + s];
    } else {
      d = saved_deltas[(layer.out_row + o) * n + s];
    }
    var x: f32;
    if (l == 0u) {
      x = inputs[k * n + s];
    } else {
      x = saved_activations[(layer.in_row + k) * n + s];
    }
    sum += d * x;
  }
  if (sum != 0.0) {
    atomic_add_f32(&weight_grad[layer.weight_offset + o * layer.inputs + k], sum);
  }
}
