/**
 * GPU time of compute passes, summed by label, from timestamp queries. Only on devices created
 * with 'timestamp-query'; `PassTimer.create` returns null elsewhere and callers time nothing.
 * A label may span several passes: `begin` on the first, `end` on the last.
 */
export class PassTimer {
  private readonly querySet: GPUQuerySet;
  private readonly resolveBuffer: GPUBuffer;
  private used = 0;
  /** Query index pairs waiting for their read-back: [label, begin index, end index]. */
  private spans: { label: string; begin: number; end: number }[] = [];
  private readonly open = new Map<string, number>();

  static create(device: GPUDevice, capacity = 128): PassTimer | null {
    return device.features.has('timestamp-query') ? new PassTimer(device, capacity) : null;
  }

  private constructor(
    private readonly device: GPUDevice,
    private readonly capacity: number,
  ) {
    this.querySet = device.createQuerySet({ label: 'pass timer', type: 'timestamp', count: capacity });
    this.resolveBuffer = device.createBuffer({
      label: 'pass timer resolve',
      size: capacity * 8,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
  }

  private next(): number {
    if (this.used >= this.capacity) throw new RangeError(`pass timer: more than ${this.capacity} timestamps before collect()`);
    return this.used++;
  }

  /** timestampWrites for a pass that is the whole of `label`. */
  pass(label: string): GPUComputePassTimestampWrites {
    const begin = this.next();
    const end = this.next();
    this.spans.push({ label, begin, end });
    return { querySet: this.querySet, beginningOfPassWriteIndex: begin, endOfPassWriteIndex: end };
  }

  /** timestampWrites for the first pass of `label`. */
  begin(label: string): GPUComputePassTimestampWrites {
    const index = this.next();
    this.open.set(label, index);
    return { querySet: this.querySet, beginningOfPassWriteIndex: index };
  }

  /** timestampWrites for the last pass of `label`. */
  end(label: string): GPUComputePassTimestampWrites {
    const begin = this.open.get(label);
    if (begin === undefined) throw new Error(`pass timer: end('${label}') without begin`);
    this.open.delete(label);
    const index = this.next();
    this.spans.push({ label, begin, end: index });
    return { querySet: this.querySet, endOfPassWriteIndex: index };
  }

  /** Milliseconds per label of every pass recorded since the last call (waits for the GPU). */
  async collect(): Promise<Map<string, number>> {
    const count = this.used;
    const spans = this.spans;
    this.used = 0;
    this.spans = [];
    const totals = new Map<string, number>();
    if (count === 0) return totals;
    const staging = this.device.createBuffer({
      label: 'pass timer read-back',
      size: count * 8,
      usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
    });
    const encoder = this.device.createCommandEncoder({ label: 'pass timer resolve' });
    encoder.resolveQuerySet(this.querySet, 0, count, this.resolveBuffer, 0);
    encoder.copyBufferToBuffer(this.resolveBuffer, 0, staging, 0, count * 8);
    this.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const ticks = new BigUint64Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    for (const s of spans) {
      // Timestamps may be reset between passes on some adapters; a negative span counts as 0.
      const ns = Number(ticks[s.end]! - ticks[s.begin]!);
      totals.set(s.label, (totals.get(s.label) ?? 0) + Math.max(0, ns) / 1e6);
    }
    return totals;
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolveBuffer.destroy();
  }
}
