// Exclusive prefix sum of u32 values (wrapping on overflow), any length.
//
// Workgroup layout (both kernels): 256 threads; a workgroup owns one block of BLOCK = 256 * 4 =
// 1024 consecutive values, blocks numbered as dispatch.wgsl numbers workgroups.
//
//   scan_blocks        thread t scans values 4t..4t+3 of its block serially, the 256 thread
//                      totals are scanned in workgroup memory (Hillis-Steele), and the block
//                      total goes to block_sums[block].
//   add_block_offsets  after block_sums has itself been scanned (the host recurses with the
//                      same two kernels), adds block_sums[block] to every value of the block.
//
// requires: Workgroup, workgroup_index (dispatch.wgsl)

const WG: u32 = 256u;
const PER_THREAD: u32 = 4u;
const BLOCK: u32 = 1024u;

struct Params {
  n: u32,
  blocks: u32,
}

@group(0) @binding(0) var<storage, read_write> data: array<u32>;
@group(0) @binding(1) var<storage, read_write> block_sums: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

var<workgroup> thread_totals: array<u32, WG>;

@compute @workgroup_size(WG)
fn scan_blocks(workgroup: Workgroup, @builtin(local_invocation_index) t: u32) {
  let block = workgroup_index(workgroup);
  // Workgroup-uniform, so the barriers below stay in uniform control flow.
  if (block >= params.blocks) {
    return;
  }
  let first = block * BLOCK + t * PER_THREAD;
  var local_prefix: array<u32, PER_THREAD>;
  var total = 0u;
  for (var i = 0u; i < PER_THREAD; i++) {
    local_prefix[i] = total;
    if (first + i < params.n) {
      total += data[first + i];
    }
  }
  thread_totals[t] = total;
  workgroupBarrier();

  for (var offset = 1u; offset < WG; offset <<= 1u) {
    var left = 0u;
    if (t >= offset) {
      left = thread_totals[t - offset];
    }
    workgroupBarrier();
    thread_totals[t] += left;
    workgroupBarrier();
  }

  var before = 0u;
  if (t > 0u) {
    before = thread_totals[t - 1u];
  }
  for (var i = 0u; i < PER_THREAD; i++) {
    if (first + i < params.n) {
      data[first + i] = before + local_prefix[i];
    }
  }
  if (t == WG - 1u) {
    block_sums[block] = thread_totals[WG - 1u];
  }
}

@compute @workgroup_size(WG)
fn add_block_offsets(workgroup: Workgroup, @builtin(local_invocation_index) t: u32) {
  let block = workgroup_index(workgroup);
  if (block >= params.blocks) {
    return;
  }
  let offset = block_sums[block];
  for (var i = 0u; i < PER_THREAD; i++) {
    // Strided by WG so that neighbouring threads touch neighbouring words.
    let index = block * BLOCK + i * WG + t;
    if (index < params.n) {
      data[index] += offset;
    }
  }
}
