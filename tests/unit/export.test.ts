import { decode } from 'fast-png';
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { labelArchive, type NamedFrameLabels } from '../../src/export/label-archive.ts';
import { encodeLabelPng, labelFileName, labelLegend, type LegendClass } from '../../src/export/label-png.ts';
import { pointCloudPly, type PointCloudView } from '../../src/export/point-cloud-ply.ts';

const CLASSES: LegendClass[] = [
  { id: 0, name: 'wall', known: true },
  { id: 6, name: 'tv\nstand\u0007', known: false },
  { id: 9, name: 'café', known: false },
];

interface PlyVertex {
  x: number;
  y: number;
  z: number;
  rgb: [number, number, number];
  value: number;
}

/** Reads back only the layout the exporter promises, checking each header line on the way. */
function readPly(bytes: Uint8Array): { header: string[]; vertices: PlyVertex[] } {
  const text = new TextDecoder('latin1').decode(bytes);
  const end = text.indexOf('end_header\n');
  expect(end).toBeGreaterThan(0);
  const header = text.slice(0, end + 'end_header'.length).split('\n');
  expect(header.slice(0, 2)).toEqual(['ply', 'format binary_little_endian 1.0']);
  const vertexLine = header.findIndex((l) => l.startsWith('element '));
  expect(header.slice(vertexLine + 1)).toEqual([
    'property float x',
    'property float y',
    'property float z',
    'property uchar red',
    'property uchar green',
    'property uchar blue',
    'property ushort class',
    'end_header',
  ]);
  for (const line of header.slice(2, vertexLine)) expect(line).toMatch(/^comment [\x20-\x7e]*$/);
  const count = Number(/^element vertex (\d+)$/.exec(header[vertexLine]!)![1]);

  const body = end + 'end_header\n'.length;
  const stride = 17;
  expect(bytes.length - body).toBe(count * stride);
  const view = new DataView(bytes.buffer, bytes.byteOffset + body);
  const vertices = Array.from({ length: count }, (_, i): PlyVertex => {
    const o = i * stride;
    return {
      x: view.getFloat32(o, true),
      y: view.getFloat32(o + 4, true),
      z: view.getFloat32(o + 8, true),
      rgb: [view.getUint8(o + 12), view.getUint8(o + 13), view.getUint8(o + 14)],
      value: view.getUint16(o + 15, true),
    };
  });
  return { header, vertices };
}

function expectNear(v: PlyVertex, [x, y, z]: [number, number, number]): void {
  expect(Math.abs(v.x - x), `x ${v.x} vs ${x}`).toBeLessThan(1e-5);
  expect(Math.abs(v.y - y), `y ${v.y} vs ${y}`).toBeLessThan(1e-5);
  expect(Math.abs(v.z - z), `z ${v.z} vs ${z}`).toBeLessThan(1e-5);
}

/** A view of one colour and class, every pixel at the same depth, seen by an identity camera with f = 1, c = 0. */
function flatView(width: number, height: number, depth = 1): PointCloudView {
  const pixels = width * height;
  return {
    width,
    height,
    c2w: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
    intrinsics: { fx: 1, fy: 1, cx: 0, cy: 0 },
    depth: new Float32Array(pixels).fill(depth),
    rgb: new Float32Array(3 * pixels).fill(0.5),
    classes: new Int32Array(pixels),
  };
}

describe('label map PNG', () => {
  it('stores class id + 1 as 16-bit grey, 0 where nothing was said', () => {
    const classes = Int32Array.from([-1, 0, 1, 6, 300, 65534]);
    const png = decode(encodeLabelPng({ width: 3, height: 2, classes }));
    expect([png.width, png.height, png.channels, png.depth]).toEqual([3, 2, 1, 16]);
    expect(png.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(png.data)).toEqual([0, 1, 2, 7, 301, 65535]);
  });

  it('refuses an id a 16-bit value cannot carry instead of wrapping it into another class', () => {
    expect(() => encodeLabelPng({ width: 2, height: 1, classes: Int32Array.from([0, 65535]) })).toThrow(/65535/);
    expect(() => encodeLabelPng({ width: 2, height: 1, classes: Int32Array.from([-2, 0]) })).toThrow(/-2/);
  });

  it('names the file after the frame, folders flattened, extension replaced', () => {
    expect(labelFileName('rgb/rgb_12.png')).toBe('rgb_rgb_12.png');
    expect(labelFileName('results\\frame000001.jpg')).toBe('results_frame000001.png');
    expect(labelFileName('seq.01/frame-000000.color')).toBe('seq.01_frame-000000.png');
    expect(labelFileName('7')).toBe('7.png');
  });

  it('builds the legend keyed by the value in the maps', () => {
    expect(labelLegend(CLASSES)).toEqual({
      value: 'class id + 1; 0 = nothing',
      classes: {
        '1': { name: 'wall', known: true },
        '7': { name: 'tv\nstand\u0007', known: false },
        '10': { name: 'café', known: false },
      },
    });
  });
});

describe('label archive', () => {
  const frames: NamedFrameLabels[] = [
    { name: 'rgb/rgb_0.png', width: 2, height: 2, classes: Int32Array.from([0, -1, 6, 9]) },
    { name: 'rgb/rgb_1.png', width: 3, height: 1, classes: Int32Array.from([9, 9, -1]) },
  ];

  it('holds a PNG per frame, the legend and the metrics', () => {
    const metrics = { miou: 41.5, classes: [{ name: 'wall' }] };
    const zip = labelArchive(frames, CLASSES, metrics);
    const compression = new Map<string, number>();
    const files = unzipSync(zip, {
      filter: (f) => {
        compression.set(f.name, f.compression);
        return true;
      },
    });
    expect(Object.keys(files).sort()).toEqual(['labels/legend.json', 'labels/rgb_rgb_0.png', 'labels/rgb_rgb_1.png', 'metrics.json']);
    // PNGs are stored as they are, not deflated a second time.
    expect(compression.get('labels/rgb_rgb_0.png')).toBe(0);

    const first = decode(files['labels/rgb_rgb_0.png']!);
    expect([first.width, first.height, first.depth]).toEqual([2, 2, 16]);
    expect(Array.from(first.data)).toEqual([1, 0, 7, 10]);
    expect(Array.from(decode(files['labels/rgb_rgb_1.png']!).data)).toEqual([10, 10, 0]);

    expect(JSON.parse(strFromU8(files['labels/legend.json']!))).toEqual(labelLegend(CLASSES));
    expect(strFromU8(files['metrics.json']!)).toBe(`${JSON.stringify(metrics, null, 2)}\n`);
  });

  it('leaves metrics.json out when there are no metrics', () => {
    expect(Object.keys(unzipSync(labelArchive(frames, CLASSES))).sort()).toEqual([
      'labels/legend.json',
      'labels/rgb_rgb_0.png',
      'labels/rgb_rgb_1.png',
    ]);
  });

  it('refuses two frames that flatten to the same file, naming both', () => {
    const clash = [frames[0]!, { ...frames[0]!, name: 'rgb_rgb_0.jpg' }];
    expect(() => labelArchive(clash, CLASSES)).toThrow(/"rgb\/rgb_0\.png" and "rgb_rgb_0\.jpg".*labels\/rgb_rgb_0\.png/);
  });

  it('refuses a frame whose class ids do not cover its image, naming it', () => {
    const short = [frames[0]!, { name: 'rgb/rgb_7.png', width: 2, height: 2, classes: new Int32Array(3) }];
    expect(() => labelArchive(short, CLASSES)).toThrow(/rgb\/rgb_7\.png.*3 class ids.*2x2/);
  });
});

describe('labelled point cloud PLY', () => {
  // fx = 2, fy = 4, c = (1, 1): pixel centres (0.5, 0.5) and (1.5, 1.5) give camera rays
  // (-0.25, -0.125, 1) and (0.25, 0.125, 1); pixel (1, 0) gives (0.25, -0.125, 1).
  const intrinsics = { fx: 2, fy: 4, cx: 1, cy: 1 };
  const identity: PointCloudView = {
    width: 2,
    height: 2,
    c2w: Float64Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]),
    intrinsics,
    depth: Float32Array.from([2, 0, Number.NaN, 4]),
    rgb: Float32Array.from([0.5, 0.2, 1.2, 9, 9, 9, 9, 9, 9, -0.1, 0.998, 0.003]),
    classes: Int32Array.from([0, 6, 6, -1]),
  };
  // Row-major: camera z (forward) becomes world x, camera x becomes world -z; translated to (10, 20, 30).
  const turned: PointCloudView = {
    width: 2,
    height: 2,
    c2w: [0, 0, 1, 10, 0, 1, 0, 20, -1, 0, 0, 30, 0, 0, 0, 1],
    intrinsics,
    depth: Float32Array.from([1, 3, Number.POSITIVE_INFINITY, 0]),
    rgb: Float32Array.from([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]),
    classes: Int32Array.from([9, 6, 0, 0]),
  };

  it('back-projects pixel centres through each camera, skipping pixels without depth', () => {
    const { header, vertices } = readPly(pointCloudPly([identity, turned], CLASSES, { stride: 1 }));
    expect(header).toContain('element vertex 4');
    expect(vertices).toHaveLength(4);

    // Identity camera: the camera point is the world point.
    expectNear(vertices[0]!, [-0.5, -0.25, 2]);
    expectNear(vertices[1]!, [1, 0.5, 4]);
    // Turned camera: (px, py, pz) -> (pz + 10, py + 20, -px + 30).
    // Pixel (0, 0) at depth 1: camera (-0.25, -0.125, 1).
    expectNear(vertices[2]!, [11, 19.875, 30.25]);
    // Pixel (1, 0) at depth 3: camera (0.75, -0.375, 3).
    expectNear(vertices[3]!, [13, 19.625, 29.25]);

    // 0.5 * 255 = 127.5 rounds up; out-of-range values clamp; 0.998 * 255 = 254.49; 0.003 * 255 = 0.77.
    expect(vertices.map((v) => v.rgb)).toEqual([
      [128, 51, 255],
      [0, 254, 1],
      [0, 0, 0],
      [255, 255, 255],
    ]);
    expect(vertices.map((v) => v.value)).toEqual([1, 0, 10, 7]);
  });

  it('names every class in a one-line ASCII header comment', () => {
    const { header } = readPly(pointCloudPly([identity], CLASSES, { stride: 1 }));
    const comments = header.filter((l) => l.startsWith('comment class'));
    expect(comments).toEqual([
      'comment class: value = class id + 1, 0 = nothing',
      'comment class 1 wall (known)',
      'comment class 7 tv stand (novel)',
      'comment class 10 cafe (novel)',
    ]);
  });

  it('takes every stride-th pixel in x and y', () => {
    const { vertices } = readPly(pointCloudPly([flatView(5, 4)], CLASSES, { stride: 2 }));
    // Columns 0, 2, 4 and rows 0, 2; f = 1, c = 0, depth 1: the point is the pixel centre.
    expect(vertices.map((v) => [v.x, v.y])).toEqual([
      [0.5, 0.5],
      [2.5, 0.5],
      [4.5, 0.5],
      [0.5, 2.5],
      [2.5, 2.5],
      [4.5, 2.5],
    ]);
  });

  it('thins evenly to maxPoints over all views', () => {
    const views = [flatView(10, 10), flatView(10, 10, 2)];
    const { header, vertices } = readPly(pointCloudPly(views, CLASSES, { stride: 1, maxPoints: 7 }));
    expect(header).toContain('element vertex 7');
    expect(vertices).toHaveLength(7);
    // Recover each point's index among the 200 candidates: z says the view, x and y the pixel.
    const index = vertices.map((v) => (v.z - 1) * 100 + (v.y / v.z - 0.5) * 10 + (v.x / v.z - 0.5));
    const gaps = index.slice(1).map((k, i) => k - index[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(28);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(29);
    expect(index[0]).toBeLessThan(200 / 7);
    expect(index[6]).toBeGreaterThanOrEqual(200 - 200 / 7);

    expect(readPly(pointCloudPly(views, CLASSES, { stride: 1, maxPoints: 1000 })).vertices).toHaveLength(200);
    expect(readPly(pointCloudPly(views, CLASSES, { stride: 1, maxPoints: 0 })).vertices).toHaveLength(0);
  });

  it('refuses a view whose buffers do not match its size, naming it, and a bad stride', () => {
    const bad = { ...flatView(2, 2), rgb: new Float32Array(11) };
    expect(() => pointCloudPly([flatView(2, 2), bad], CLASSES, { stride: 1 })).toThrow(/view 1: rgb has 11 values.*12/);
    expect(() => pointCloudPly([flatView(2, 2)], CLASSES, { stride: 0 })).toThrow(/stride/);
    expect(() => pointCloudPly([flatView(2, 2)], CLASSES, { stride: 1.5 })).toThrow(/stride/);
  });
});
