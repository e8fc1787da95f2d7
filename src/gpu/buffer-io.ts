/** Upload and read back typed arrays. Read-backs stall: call them every N steps, never per step. */

export function createStorageBuffer(device: GPUDevice, byteLength: number, label: string, extraUsage: GPUBufferUsageFlags = 0): GPUBuffer {
  // WebGPU requires sizes that are a multiple of 4; a zero-sized binding is invalid.
  const size = Math.max(4, Math.ceil(byteLength / 4) * 4);
  return device.createBuffer({
    label,
    size,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST | extraUsage,
  });
}

export function uploadBuffer(device: GPUDevice, data: ArrayBufferView, label: string): GPUBuffer {
  const buffer = createStorageBuffer(device, data.byteLength, label);
  device.queue.writeBuffer(buffer, 0, data as GPUAllowSharedBufferSource);
  return buffer;
}

/** A uniform buffer holding `data` (a struct's bytes; zeros for one written later). */
export function createUniformBuffer(device: GPUDevice, data: ArrayBuffer | ArrayBufferView, label: string): GPUBuffer {
  const size = Math.max(16, Math.ceil(data.byteLength / 16) * 16);
  const buffer = device.createBuffer({ label, size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buffer, 0, data as GPUAllowSharedBufferSource);
  return buffer;
}

/** Copies `byteLength` bytes of `source` to the CPU. */
export async function readBuffer(device: GPUDevice, source: GPUBuffer, byteLength = source.size): Promise<ArrayBuffer> {
  const staging = device.createBuffer({
    label: `${source.label} (read-back)`,
    size: Math.ceil(byteLength / 4) * 4,
    usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
  });
  const encoder = device.createCommandEncoder({ label: 'read-back' });
  encoder.copyBufferToBuffer(source, 0, staging, 0, staging.size);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const copy = staging.getMappedRange().slice(0, byteLength);
  staging.unmap();
  staging.destroy();
  return copy;
}
