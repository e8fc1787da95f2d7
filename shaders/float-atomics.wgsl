// Float addition on storage words, which WGSL lacks: a compare-and-swap loop on the bits of an
// atomic<u32>. Composed with the kernels that scatter gradients (several threads adding to one
// parameter); contention is low because hash-grid and MLP gradients spread over many words.

fn atomic_add_f32(word: ptr<storage, atomic<u32>, read_write>, value: f32) {
  var old = atomicLoad(word);
  loop {
    let sum = bitcast<u32>(bitcast<f32>(old) + value);
    let result = atomicCompareExchangeWeak(word, old, sum);
    if (result.exchanged) {
      break;
    }
    old = result.old_value;
  }
}
