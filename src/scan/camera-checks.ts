/**
 * The checks every format's camera and depth numbers go through, with messages that name the file
 * and the key: a number that passes here cannot turn into NaN or infinity downstream (ray
 * directions, scene bounds, the normalisation into the unit cube). Poses are checked by
 * pose-check.ts.
 *
 * Bounds (wide enough for any real camera, narrow enough to catch a wrong unit or a lost value):
 * - a focal length gives a field of view 2·atan(size / 2f) across its image of 0.01° to 179°
 *   (f from 0.0044 to 5730 times the image's width or height). A 1200 mm lens on a full-frame
 *   sensor sees 1.7°; a fisheye's focal length, read as a pinhole's, stays far below 179° too
 *   (a 200° fisheye's gives 120°).
 * - a depth scale is 1e-6 to 1000 metres per depth unit (a micrometre to a kilometre).
 */
import { CameraError } from './scan-error.ts';

export const FIELD_OF_VIEW_DEGREES = { min: 0.01, max: 179 } as const;
export const METRES_PER_DEPTH_UNIT = { min: 1e-6, max: 1e3 } as const;

const DEGREES = 180 / Math.PI;

/** Where each number of a camera is written in its file, for messages ("fl_x", "frames[3].fl_x"). */
export interface IntrinsicsKeys {
  fx: string;
  fy: string;
  cx: string;
  cy: string;
  /** None where the size is the image's own. */
  width?: string;
  height?: string;
}

/** A camera's numbers; the size where it is known (stated, or the image's). */
export interface CameraNumbers {
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  width?: number;
  height?: number;
}

const FIELD_OF_VIEW_RANGE = `between ${FIELD_OF_VIEW_DEGREES.min}° and ${FIELD_OF_VIEW_DEGREES.max}°`;

/** 1 / x without the float's noise in a message (1 / 1e-6 is 999999.9999999999). */
const reciprocal = (x: number): number => Number((1 / x).toPrecision(12));

function fail(file: string, key: string, value: number, problem: string): never {
  throw new CameraError(file, `${key} is ${value}: ${problem}`);
}

/** A field of view in radians (nerfstudio's camera_angle_x). */
export function checkFieldOfView(radians: number, file: string, key: string): void {
  const degrees = radians * DEGREES;
  if (!(degrees >= FIELD_OF_VIEW_DEGREES.min && degrees <= FIELD_OF_VIEW_DEGREES.max)) {
    const radiansRange = [FIELD_OF_VIEW_DEGREES.min, FIELD_OF_VIEW_DEGREES.max].map((d) => (d / DEGREES).toPrecision(3));
    fail(file, key, radians, `a field of view must be ${FIELD_OF_VIEW_RANGE} (${radiansRange.join(' to ')} radians)`);
  }
}

/**
 * A camera's sizes, focal lengths and principal point; where its size is known, the field of view
 * each focal length gives across it. Throws a CameraError naming the first bad number.
 */
export function checkIntrinsics(k: CameraNumbers, file: string, keys: IntrinsicsKeys): void {
  for (const [size, key] of [
    [k.width, keys.width],
    [k.height, keys.height],
  ] as const) {
    if (key !== undefined && !(size! > 0 && size! < Infinity)) fail(file, key, size!, 'an image size must be a positive number of pixels');
  }
  for (const [f, key] of [
    [k.fx, keys.fx],
    [k.fy, keys.fy],
  ] as const) {
    if (!(f > 0 && f < Infinity)) fail(file, key, f, 'a focal length must be a positive number of pixels');
  }
  for (const [c, key] of [
    [k.cx, keys.cx],
    [k.cy, keys.cy],
  ] as const) {
    if (!Number.isFinite(c)) fail(file, key, c, 'a principal point must be a finite number of pixels');
  }
  for (const [f, size, key, across] of [
    [k.fx, k.width, keys.fx, 'wide'],
    [k.fy, k.height, keys.fy, 'high'],
  ] as const) {
    if (size === undefined) continue;
    const degrees = 2 * Math.atan(size / 2 / f) * DEGREES;
    if (!(degrees >= FIELD_OF_VIEW_DEGREES.min && degrees <= FIELD_OF_VIEW_DEGREES.max)) {
      fail(
        file,
        key,
        f,
        `across an image ${size} pixels ${across} that is a field of view of ${degrees.toPrecision(3)}°; a camera's is ${FIELD_OF_VIEW_RANGE}`,
      );
    }
  }
}

/**
 * A depth scale as the file states it, in `unit`; returns metres per depth unit. Zero, negative
 * or absurd scales would make every depth 0, negative or infinite.
 */
export function checkDepthScale(value: number, file: string, key: string, unit: 'metres per depth unit' | 'depth units per metre'): number {
  const perMetre = unit === 'depth units per metre';
  const metres = perMetre ? 1 / value : value;
  if (!(value > 0 && metres >= METRES_PER_DEPTH_UNIT.min && metres <= METRES_PER_DEPTH_UNIT.max)) {
    const [low, high] = perMetre
      ? [reciprocal(METRES_PER_DEPTH_UNIT.max), reciprocal(METRES_PER_DEPTH_UNIT.min)]
      : [METRES_PER_DEPTH_UNIT.min, METRES_PER_DEPTH_UNIT.max];
    fail(file, key, value, `a depth scale must be between ${low} and ${high} ${unit}`);
  }
  return metres;
}
