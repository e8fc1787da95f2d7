// One layer of a tiny fully connected network (instant-ngp style: no biases, ReLU between layers,
// linear output), forward and backward. Every layer is its own pipeline: its shape arrives as
// override constants, so loop bounds and offsets are compile-time constants.
//
// Data layout. Per-sample arrays are feature-major (value j of sample s at j * count + s; count a
// multiple of 16) and read as vec4: one vec4 is one feature of four neighbouring samples. Weights
// are stored in 4 x 4 blocks, one mat4x4f each: block (ob, kb) of a layer is at
// W_OFFSET + ob * KB + kb and its column j holds W[4 ob + j][4 kb .. 4 kb + 3]. Each layer is
// padded to multiples of 16 in both directions; the padding stays zero (zero initialisation, and
// reduce_grad never writes it).
//
// Register tiles. A thread owns 16 samples (four vec4 columns, g) and 16 rows (four 4-row blocks,
// b): sixteen mat4x4f accumulators, written out by name because arrays indexed in loops live in
// memory on software adapters. The arithmetic is mat4x4 * mat4x4 (64 multiply-adds from 8 loaded
// vec4s): on SwiftShader, loads cost far more than arithmetic, and matrix products are its
// fastest arithmetic (see README, Performance).
//   forward:        a_bg += X_g * W_b    X_g columns: inputs k..k+3 of samples g; W_b: block (b, k)
//   backward_data:  a_bg += DY_g * W_b^T  DY_g columns: outputs o..o+3; W_b: block (o, b)
//   weight_grad:    a_ab += X_b^T * DY_a over the samples of one chunk
//
// Workgroup layouts (64 threads each, numbered as dispatch.wgsl says):
//   forward, backward_data  one 16-sample tile per thread; z = block of 16 rows (outputs, resp.
//                           inputs).
//   weight_grad             thread = chunk * tiles + tile, one 16 x 16 tile of the layer's weights
//                           over one chunk of CHUNK samples. Each thread writes its partial sums:
//                           no atomics, and the sum is deterministic.
//   reduce_grad             one vec4 of weights per thread: sums the chunks' partials and adds
//                           them to the gradient.
//
// requires: Invocation, invocation_index (dispatch.wgsl)

override IN: u32;
override OUT: u32;
// First weight block of this layer in the network's buffer (in mat4x4f).
override W_OFFSET: u32;
// Forward: this layer's output goes through a ReLU (hidden layer).
override RELU_OUT: bool;
// Backward: this layer's input came out of a ReLU (every layer but the first).
override RELU_IN: bool;
// Weight blocks per stored row of blocks, and stored rows (outputs) padded to 16.
override KB: u32 = (IN + 15u) / 16u * 4u;
override OUT_PAD: u32 = (OUT + 15u) / 16u * 16u;

const CHUNK: u32 = 1024u;
const WORKGROUP_SIZE: u32 = 64u;

struct Params {
  count: u32,
  chunks: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> weights: array<mat4x4f>;
// The layer's input (forward), or the saved input (backward: ReLU mask and weight gradient).
@group(0) @binding(2) var<storage, read> x: array<vec4f>;

@group(0) @binding(3) var<storage, read_write> y: array<vec4f>;

fn activation(v: vec4f) -> vec4f {
  if (RELU_OUT) {
    return max(v, vec4f(0.0));
  }
  return v;
}

// Rows o..o+3 (columns of the accumulators) for the thread's four sample vec4s; rows past OUT
// are the zero padding of the last block.
fn store_outputs(o: u32, s: u32, n4: u32, a0: mat4x4f, a1: mat4x4f, a2: mat4x4f, a3: mat4x4f) {
  for (var j = 0u; j < 4u; j++) {
    if (o + j < OUT) {
      let at = (o + j) * n4 + s;
      y[at] = activation(a0[j]);
      y[at + 1u] = activation(a1[j]);
      y[at + 2u] = activation(a2[j]);
      y[at + 3u] = activation(a3[j]);
    }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn forward(invocation: Invocation) {
  let n4 = params.count / 4u;
  let s = invocation_index(invocation, WORKGROUP_SIZE) * 4u;
  if (s >= n4) {
    return;
  }
  let o0 = invocation.workgroup.z * 16u;
  var a00 = mat4x4f(); var a01 = mat4x4f(); var a02 = mat4x4f(); var a03 = mat4x4f();
  var a10 = mat4x4f(); var a11 = mat4x4f(); var a12 = mat4x4f(); var a13 = mat4x4f();
  var a20 = mat4x4f(); var a21 = mat4x4f(); var a22 = mat4x4f(); var a23 = mat4x4f();
  var a30 = mat4x4f(); var a31 = mat4x4f(); var a32 = mat4x4f(); var a33 = mat4x4f();
  var wi = W_OFFSET + (o0 / 4u) * KB;
  for (var k = 0u; k < IN; k += 4u) {
    let r0 = k * n4 + s;
    let r1 = r0 + n4;
    let r2 = r1 + n4;
    let r3 = r2 + n4;
    let x0 = mat4x4f(x[r0 + 0u], x[r1 + 0u], x[r2 + 0u], x[r3 + 0u]);
    let x1 = mat4x4f(x[r0 + 1u], x[r1 + 1u], x[r2 + 1u], x[r3 + 1u]);
    let x2 = mat4x4f(x[r0 + 2u], x[r1 + 2u], x[r2 + 2u], x[r3 + 2u]);
    let x3 = mat4x4f(x[r0 + 3u], x[r1 + 3u], x[r2 + 3u], x[r3 + 3u]);
    let w0 = weights[wi];
    let w1 = weights[wi + KB];
    let w2 = weights[wi + 2u * KB];
    let w3 = weights[wi + 3u * KB];
    a00 += x0 * w0; a01 += x1 * w0; a02 += x2 * w0; a03 += x3 * w0;
    a10 += x0 * w1; a11 += x1 * w1; a12 += x2 * w1; a13 += x3 * w1;
    a20 += x0 * w2; a21 += x1 * w2; a22 += x2 * w2; a23 += x3 * w2;
    a30 += x0 * w3; a31 += x1 * w3; a32 += x2 * w3; a33 += x3 * w3;
    wi += 1u;
  }
  store_outputs(o0 + 0u, s, n4, a00, a01, a02, a03);
  store_outputs(o0 + 4u, s, n4, a10, a11, a12, a13);
  store_outputs(o0 + 8u, s, n4, a20, a21, a22, a23);
  store_outputs(o0 + 12u, s, n4, a30, a31, a32, a33);
}

// d(loss)/d(this layer's output): d_outputs for the last layer, the next layer's deltas otherwise.
@group(0) @binding(4) var<storage, read> dy: array<vec4f>;
// d(loss)/d(this layer's input), through the ReLU that produced it when RELU_IN.
@group(0) @binding(5) var<storage, read_write> dx: array<vec4f>;

fn through_relu(d: vec4f, at: u32) -> vec4f {
  if (RELU_IN) {
    return select(vec4f(0.0), d, x[at] > vec4f(0.0));
  }
  return d;
}

// Inputs k..k+3; IN is a multiple of 4, so a block is all real or all padding.
fn store_input_grads(k: u32, s: u32, n4: u32, a0: mat4x4f, a1: mat4x4f, a2: mat4x4f, a3: mat4x4f) {
  if (k >= IN) {
    return;
  }
  for (var j = 0u; j < 4u; j++) {
    let at = (k + j) * n4 + s;
    dx[at] = through_relu(a0[j], at);
    dx[at + 1u] = through_relu(a1[j], at + 1u);
    dx[at + 2u] = through_relu(a2[j], at + 2u);
    dx[at + 3u] = through_relu(a3[j], at + 3u);
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn backward_data(invocation: Invocation) {
  let n4 = params.count / 4u;
  let s = invocation_index(invocation, WORKGROUP_SIZE) * 4u;
  if (s >= n4) {
    return;
  }
  let k0 = invocation.workgroup.z * 16u;
  var a00 = mat4x4f(); var a01 = mat4x4f(); var a02 = mat4x4f(); var a03 = mat4x4f();
  var a10 = mat4x4f(); var a11 = mat4x4f(); var a12 = mat4x4f(); var a13 = mat4x4f();
  var a20 = mat4x4f(); var a21 = mat4x4f(); var a22 = mat4x4f(); var a23 = mat4x4f();
  var a30 = mat4x4f(); var a31 = mat4x4f(); var a32 = mat4x4f(); var a33 = mat4x4f();
  var wi = W_OFFSET + k0 / 4u;
  let last = OUT - 1u;
  for (var o = 0u; o < OUT; o += 4u) {
    // Past OUT (the last, partial block) a row is repeated; its weights are zero padding.
    let r0 = o * n4 + s;
    let r1 = min(o + 1u, last) * n4 + s;
    let r2 = min(o + 2u, last) * n4 + s;
    let r3 = min(o + 3u, last) * n4 + s;
    let y0 = mat4x4f(dy[r0 + 0u], dy[r1 + 0u], dy[r2 + 0u], dy[r3 + 0u]);
    let y1 = mat4x4f(dy[r0 + 1u], dy[r1 + 1u], dy[r2 + 1u], dy[r3 + 1u]);
    let y2 = mat4x4f(dy[r0 + 2u], dy[r1 + 2u], dy[r2 + 2u], dy[r3 + 2u]);
    let y3 = mat4x4f(dy[r0 + 3u], dy[r1 + 3u], dy[r2 + 3u], dy[r3 + 3u]);
    let w0 = transpose(weights[wi]);
    let w1 = transpose(weights[wi + 1u]);
    let w2 = transpose(weights[wi + 2u]);
    let w3 = transpose(weights[wi + 3u]);
    a00 += y0 * w0; a01 += y1 * w0; a02 += y2 * w0; a03 += y3 * w0;
    a10 += y0 * w1; a11 += y1 * w1; a12 += y2 * w1; a13 += y3 * w1;
    a20 += y0 * w2; a21 += y1 * w2; a22 += y2 * w2; a23 += y3 * w2;
    a30 += y0 * w3; a31 += y1 * w3; a32 += y2 * w3; a33 += y3 * w3;
    wi += KB;
  }
  store_input_grads(k0 + 0u, s, n4, a00, a01, a02, a03);
  store_input_grads(k0 + 4u, s, n4, a10, a11, a12, a13);
  store_input_grads(k0 + 8u, s, n4, a20, a21, a22, a23);
  store_input_grads(k0 + 12u, s, n4, a30, a31, a32, a33);
}

// Per chunk, this layer's padded weight gradient, in the weights' block layout.
@group(0) @binding(6) var<storage, read_write> partials: array<mat4x4f>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn weight_grad(invocation: Invocation) {
  let tiles_in = KB / 4u;
  let tiles = (OUT_PAD / 16u) * tiles_in;
  let thread = invocation_index(invocation, WORKGROUP_SIZE);
  let chunk = thread / tiles;
  if (chunk >= params.chunks) {
    return;
  }
  let tile = thread % tiles;
  let o0 = (tile / tiles_in) * 16u;
  let k0 = (tile % tiles_in) * 16u;
  let n4 = params.count / 4u;
  let begin = chunk * (CHUNK / 4u);
  let end = min(begin + CHUNK / 4u, n4);
  // Rows past IN or OUT (padding) read the last real rows instead: finite sums that reduce_grad
  // never adds.
  let xr0 = min(k0 + 0u, IN - 4u) * n4;
  let xr1 = min(k0 + 4u, IN - 4u) * n4;
  let xr2 = min(k0 + 8u, IN - 4u) * n4;
  let xr3 = min(k0 + 12u, IN - 4u) * n4;
  let yr00 = min(o0 + 0u, OUT - 1u) * n4; let yr01 = min(o0 + 1u, OUT - 1u) * n4; let yr02 = min(o0 + 2u, OUT - 1u) * n4; let yr03 = min(o0 + 3u, OUT - 1u) * n4;
  let yr10 = min(o0 + 4u, OUT - 1u) * n4; let yr11 = min(o0 + 5u, OUT - 1u) * n4; let yr12 = min(o0 + 6u, OUT - 1u) * n4; let yr13 = min(o0 + 7u, OUT - 1u) * n4;
  let yr20 = min(o0 + 8u, OUT - 1u) * n4; let yr21 = min(o0 + 9u, OUT - 1u) * n4; let yr22 = min(o0 + 10u, OUT - 1u) * n4; let yr23 = min(o0 + 11u, OUT - 1u) * n4;
  let yr30 = min(o0 + 12u, OUT - 1u) * n4; let yr31 = min(o0 + 13u, OUT - 1u) * n4; let yr32 = min(o0 + 14u, OUT - 1u) * n4; let yr33 = min(o0 + 15u, OUT - 1u) * n4;
  var a00 = mat4x4f(); var a01 = mat4x4f(); var a02 = mat4x4f(); var a03 = mat4x4f();
  var a10 = mat4x4f(); var a11 = mat4x4f(); var a12 = mat4x4f(); var a13 = mat4x4f();
  var a20 = mat4x4f(); var a21 = mat4x4f(); var a22 = mat4x4f(); var a23 = mat4x4f();
  var a30 = mat4x4f(); var a31 = mat4x4f(); var a32 = mat4x4f(); var a33 = mat4x4f();
  for (var c = begin; c < end; c++) {
    let x0 = transpose(mat4x4f(x[xr0 + c], x[xr0 + n4 + c], x[xr0 + 2u * n4 + c], x[xr0 + 3u * n4 + c]));
    let x1 = transpose(mat4x4f(x[xr1 + c], x[xr1 + n4 + c], x[xr1 + 2u * n4 + c], x[xr1 + 3u * n4 + c]));
    let x2 = transpose(mat4x4f(x[xr2 + c], x[xr2 + n4 + c], x[xr2 + 2u * n4 + c], x[xr2 + 3u * n4 + c]));
    let x3 = transpose(mat4x4f(x[xr3 + c], x[xr3 + n4 + c], x[xr3 + 2u * n4 + c], x[xr3 + 3u * n4 + c]));
    let y0 = mat4x4f(dy[yr00 + c], dy[yr01 + c], dy[yr02 + c], dy[yr03 + c]);
    let y1 = mat4x4f(dy[yr10 + c], dy[yr11 + c], dy[yr12 + c], dy[yr13 + c]);
    let y2 = mat4x4f(dy[yr20 + c], dy[yr21 + c], dy[yr22 + c], dy[yr23 + c]);
    let y3 = mat4x4f(dy[yr30 + c], dy[yr31 + c], dy[yr32 + c], dy[yr33 + c]);
    a00 += x0 * y0; a01 += x1 * y0; a02 += x2 * y0; a03 += x3 * y0;
    a10 += x0 * y1; a11 += x1 * y1; a12 += x2 * y1; a13 += x3 * y1;
    a20 += x0 * y2; a21 += x1 * y2; a22 += x2 * y2; a23 += x3 * y2;
    a30 += x0 * y3; a31 += x1 * y3; a32 += x2 * y3; a33 += x3 * y3;
  }
  let at = chunk * (OUT_PAD / 4u) * KB + (o0 / 4u) * KB + k0 / 4u;
  partials[at + 0u * KB + 0u] = a00; partials[at + 0u * KB + 1u] = a01; partials[at + 0u * KB + 2u] = a02; partials[at + 0u * KB + 3u] = a03;
  partials[at + 1u * KB + 0u] = a10; partials[at + 1u * KB + 1u] = a11; partials[at + 1u * KB + 2u] = a12; partials[at + 1u * KB + 3u] = a13;
  partials[at + 2u * KB + 0u] = a20; partials[at + 2u * KB + 1u] = a21; partials[at + 2u * KB + 2u] = a22; partials[at + 2u * KB + 3u] = a23;
  partials[at + 3u * KB + 0u] = a30; partials[at + 3u * KB + 1u] = a31; partials[at + 3u * KB + 2u] = a32; partials[at + 3u * KB + 3u] = a33;
}

@group(0) @binding(6) var<storage, read_write> partial_columns: array<vec4f>;
@group(0) @binding(7) var<storage, read_write> grad: array<vec4f>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn reduce_grad(invocation: Invocation) {
  // One column (vec4) of one weight block: W[4 ob + j][4 kb .. 4 kb + 3].
  let per_chunk = (OUT_PAD / 4u) * KB * 4u;
  let i = invocation_index(invocation, WORKGROUP_SIZE);
  if (i >= per_chunk) {
    return;
  }
  let block = i / 4u;
  let row = (block / KB) * 4u + i % 4u;
  if (row >= OUT || (block % KB) * 4u >= IN) {
    return;
  }
  var sum = vec4f();
  for (var c = 0u; c < params.chunks; c++) {
    sum += partial_columns[c * per_chunk + i];
  }
  grad[W_OFFSET * 4u + i] += sum;
}
