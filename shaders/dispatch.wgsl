// Workgroup numbering, shared by every kernel that numbers its work items across workgroups.
//
// Workgroup layout: ComputeKernel.dispatch (src/gpu/compute-kernel.ts) launches `count` workgroups
// along x; past the adapter's limit per dimension (maxComputeWorkgroupsPerDimension, 65535 by
// default) it folds them into rows of a 2D grid, x * y >= count. Workgroup (x, y) is number
// x + y * num_workgroups.x, and its invocations are numbered on from number * workgroup size. The
// last row may hold a few workgroups past `count`: each kernel's own bound check (items past its
// count) returns them. z is the kernel's own (hash-grid: the level; mlp: a block of 16 rows).
//
// The row length comes from @builtin(num_workgroups), so it is no uniform's business and always
// the fold of the dispatch at hand.

// A workgroup and the grid it is in. Without the invocation's own index: the uniformity analysis
// takes a struct as a whole, and local_invocation_index in it would make the workgroup's number
// non-uniform (kernels that return whole workgroups before a barrier need it uniform).
struct Workgroup {
  @builtin(workgroup_id) id: vec3u,
  @builtin(num_workgroups) grid: vec3u,
}

struct Invocation {
  @builtin(workgroup_id) workgroup: vec3u,
  @builtin(num_workgroups) workgroups: vec3u,
  @builtin(local_invocation_index) local: u32,
}

// The workgroup's number in the folded grid.
fn workgroup_index(w: Workgroup) -> u32 {
  return w.id.x + w.id.y * w.grid.x;
}

// The invocation's number across the folded grid, for workgroups of `workgroup_size` invocations.
fn invocation_index(at: Invocation, workgroup_size: u32) -> u32 {
  return workgroup_index(Workgroup(at.workgroup, at.workgroups)) * workgroup_size + at.local;
}
