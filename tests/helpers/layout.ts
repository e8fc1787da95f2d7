/** Between sample-major (value j of sample s at s * width + j) and the GPU's feature-major layout. */
export function toFeatureMajor(values: ArrayLike<number>, width: number): Float32Array {
  const n = values.length / width;
  const out = new Float32Array(values.length);
  for (let s = 0; s < n; s++) for (let j = 0; j < width; j++) out[j * n + s] = values[s * width + j]!;
  return out;
}

export function toSampleMajor(values: ArrayLike<number>, width: number): Float32Array {
  const n = values.length / width;
  const out = new Float32Array(values.length);
  for (let s = 0; s < n; s++) for (let j = 0; j < width; j++) out[s * width + j] = values[j * n + s]!;
  return out;
}
