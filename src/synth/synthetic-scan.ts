/**
 * The synthetic scan: a generated room, a camera path through it, and the files a Replica render
 * in the Semantic-NeRF layout would have, plus a nerfstudio transforms.json for the same frames.
 * Runs unchanged in Node and in a browser worker; the same options give the same bytes.
 *
 *   rgb/rgb_N.png                      8-bit sRGB
 *   depth/depth_N.png                  16-bit z-depth in millimetres (0 = none)
 *   semantic_class/semantic_class_N.png class ids 1..13 (nyu13-classes), 0 = void
 *   traj_w_c.txt                       per line, a row-major 4x4 camera-to-world, OpenCV axes
 *   transforms.json                    nerfstudio: intrinsics, OpenGL camera-to-world per frame
 *   classes.json                       [{ id, name, known }]
 *   scene.json                         how the scan was made
 */
import { encode } from 'fast-png';
import { mat4Rows, opencvToOpengl, type Mat4 } from '../math/camera-convention.ts';
import { PROJECT_GENERATOR, SCENE_FILE } from '../scan/scan.ts';
import { scanPath } from './camera-path.ts';
import { NYU13_CLASSES } from './nyu13-classes.ts';
import { Random } from './random.ts';
import { RoomTracer, type PinholeCamera, type RenderedFrame } from './render-frame.ts';
import { layoutRoom } from './room-layout.ts';
import type { RoomScene } from './room-scene.ts';
import { HFOV_DEGREES, intrinsicsFor, resolveSynthOptions, type SynthOptions } from './synth-options.ts';

export const GENERATOR_VERSION = 1;

export interface SyntheticWorld {
  options: SynthOptions;
  scene: RoomScene;
  cameras: PinholeCamera[];
}

export function buildWorld(given: Partial<SynthOptions>): SyntheticWorld {
  const options = resolveSynthOptions(given);
  // Separate streams: the room depends on the seed only, not on frame count or size.
  const scene = layoutRoom(options.seed);
  // Poses are rounded to what the text files hold (1e-9), so that the frames are rendered from
  // exactly the poses written, and Node and browsers (whose Math.sin may differ in the last bit)
  // write the same bytes.
  const poses = scanPath(scene, options.frames, new Random(options.seed ^ 0x5ca1ab1e)).map((m) =>
    m.map((v) => Math.round(v * 1e9) / 1e9 + 0),
  );
  const k = intrinsicsFor(options);
  const cameras = poses.map((c2w) => ({ width: options.width, height: options.height, ...k, c2w }));
  return { options, scene, cameras };
}

export function renderWorldFrame(world: SyntheticWorld, index: number, tracer = new RoomTracer(world.scene)): RenderedFrame {
  return tracer.render(world.cameras[index]!);
}

export function frameFiles(index: number, frame: RenderedFrame): Map<string, Uint8Array> {
  const { width, height } = frame;
  return new Map([
    [`rgb/rgb_${index}.png`, encode({ width, height, data: frame.rgb, channels: 3, depth: 8 })],
    [`depth/depth_${index}.png`, encode({ width, height, data: frame.depthMm, channels: 1, depth: 16 })],
    [`semantic_class/semantic_class_${index}.png`, encode({ width, height, data: frame.label, channels: 1, depth: 8 })],
  ]);
}

function formatPose(m: Mat4): string {
  return Array.from(m, (v) => (Object.is(v, -0) ? 0 : v).toFixed(9)).join(' ');
}

export function metadataFiles(world: SyntheticWorld): Map<string, Uint8Array> {
  const { options, cameras } = world;
  const text = new TextEncoder();
  const json = (value: unknown): Uint8Array => text.encode(`${JSON.stringify(value, null, 2)}\n`);
  const k = intrinsicsFor(options);
  const transforms = {
    camera_model: 'OPENCV',
    fl_x: k.fx,
    fl_y: k.fy,
    cx: k.cx,
    cy: k.cy,
    w: options.width,
    h: options.height,
    k1: 0,
    k2: 0,
    p1: 0,
    p2: 0,
    frames: cameras.map((c, i) => ({
      file_path: `rgb/rgb_${i}.png`,
      depth_file_path: `depth/depth_${i}.png`,
      transform_matrix: mat4Rows(opencvToOpengl(c.c2w)),
    })),
  };
  return new Map([
    ['traj_w_c.txt', text.encode(cameras.map((c) => `${formatPose(c.c2w)}\n`).join(''))],
    ['transforms.json', json(transforms)],
    ['classes.json', json(NYU13_CLASSES)],
    [
      SCENE_FILE,
      json({
        generator: PROJECT_GENERATOR,
        generator_version: GENERATOR_VERSION,
        ...options,
        hfov_degrees: HFOV_DEGREES,
        depth_unit: 'millimetre',
        depth_kind: 'z-depth',
        pose_convention: 'traj_w_c.txt: camera-to-world, OpenCV (x right, y down, z forward); transforms.json: OpenGL',
        pixel_centres: 'pixel (i, j) has its centre at (i + 0.5, j + 0.5); cx = width / 2',
        room_size_m: [world.scene.shell.w, world.scene.shell.h, world.scene.shell.d],
      }),
    ],
  ]);
}
