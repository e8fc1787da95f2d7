/** A generated room: its shell, its furniture (each object a group of shapes), and its lights. */
import type { RoomShell, Shape } from './primitives.ts';

export interface SceneObject {
  name: string;
  shapes: Shape[];
  /** World bounds of all shapes: min x, y, z, max x, y, z. */
  bounds: [number, number, number, number, number, number];
}

export interface PointLight {
  x: number;
  y: number;
  z: number;
  /** Irradiance at 1 m straight below the lamp, on a surface facing it. */
  power: number;
}

export interface RoomScene {
  shell: RoomShell;
  objects: SceneObject[];
  lights: PointLight[];
  /** Light reaching every surface regardless of the lamps (the bounce a path tracer would add). */
  ambient: number;
}

export function makeObject(name: string, shapes: Shape[]): SceneObject {
  const b: [number, number, number, number, number, number] = [Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity];
  for (const s of shapes) {
    const sb = s.bounds();
    for (let i = 0; i < 3; i++) {
      b[i] = Math.min(b[i]!, sb[i]!);
      b[i + 3] = Math.max(b[i + 3]!, sb[i + 3]!);
    }
  }
  return { name, shapes, bounds: b };
}
