// Stateless random numbers for the kernels that draw: a PCG-style hash
// gives independent streams per (seed, item, draw), so two passes that draw for the same item
// with the same seed get the same numbers without storing them.

fn pcg_hash(x: u32) -> u32 {
  let s = x * 747796405u + 2891336453u;
  let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
  return (w >> 22u) ^ w;
}

// Uniform in [0, 1), 24 bits.
fn random_uniform(seed: u32, item: u32, draw: u32) -> f32 {
  return f32(pcg_hash(pcg_hash(seed ^ (item * 0x9e3779b9u)) + draw) >> 8u) / 16777216.0;
}

// Draws a ray's own random background from, past the ray sampler's draws (0 .. 3 * 16).
const BACKGROUND_DRAW: u32 = 64u;

// A training ray's background colour when each ray gets its own (an object capture on no
// background, as instant-ngp trains them): the ray sampler composites the ray's target on it and
// the volume renderer the ray's colour, each drawing it for itself from the step's seed.
fn random_background(seed: u32, ray: u32) -> vec3f {
  return vec3f(
    random_uniform(seed, ray, BACKGROUND_DRAW),
    random_uniform(seed, ray, BACKGROUND_DRAW + 1u),
    random_uniform(seed, ray, BACKGROUND_DRAW + 2u),
  );
}
