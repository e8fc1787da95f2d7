/**
 * The 3D view: a three.js scene with an orbit camera, the training cameras as frustums, and the
 * field's rendering behind them. The field is not a three.js object: the page renders it with
 * its own WebGPU marcher from this camera and hands the pixels here as an RGBA image, shown as
 * the scene's background (stretched to the canvas: a lower-resolution render while training
 * keeps the page responsive, and sharpens when the view rests).
 *
 * Conventions: the scene is the scan's normalised frame; three.js cameras are OpenGL (y up, z
 * backward), the project's poses OpenCV (y down, z forward): `viewCamera` converts.
 */
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { opencvToOpengl, openglToOpencv, type Mat4 } from '../math/camera-convention.ts';

export interface FrustumCamera {
  /** Camera-to-world, row-major 4x4, OpenCV axes, normalised scene. */
  c2w: Mat4;
  intrinsics: { fx: number; fy: number; cx: number; cy: number };
  width: number;
  height: number;
}

/** A pinhole camera for the field's renderer (OpenCV c2w, row-major). */
export interface ViewportCamera {
  c2w: Mat4;
  intrinsics: { fx: number; fy: number; cx: number; cy: number };
  width: number;
  height: number;
}

const FRUSTUM_COLOUR = 0xffaa22;
const SELECTED_COLOUR = 0x22ccff;
/** A frustum is picked when the click lands this close (CSS pixels) to its centre's projection. */
const PICK_RADIUS = 14;

function matrixFromRows(m: Mat4): THREE.Matrix4 {
  return new THREE.Matrix4().set(...(Array.from(m) as Parameters<THREE.Matrix4['set']>));
}

function rowsFromMatrix(m: THREE.Matrix4): Mat4 {
  // three.js stores column-major; the project's poses are row-major.
  const e = m.elements;
  return Float64Array.from({ length: 16 }, (_, i) => e[(i % 4) * 4 + Math.floor(i / 4)]!);
}

export class FieldViewport {
  readonly canvas: HTMLCanvasElement;
  private readonly renderer: THREE.WebGLRenderer;
  private readonly scene = new THREE.Scene();
  private readonly camera = new THREE.PerspectiveCamera(70, 4 / 3, 0.01, 100);
  private readonly controls: OrbitControls;
  private readonly frustums = new THREE.Group();
  private cameras: FrustumCamera[] = [];
  private texture: THREE.DataTexture | null = null;
  private selected = -1;
  private frameRequested = false;
  /** Bumped whenever the camera moves: the page re-renders the field when it changes. */
  cameraVersion = 0;

  constructor(
    container: HTMLElement,
    private readonly events: { onPixelClick(x: number, y: number): void; onFrustumClick(index: number): void },
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.dataset.testid = 'view';
    this.canvas.className = 'field-view';
    container.append(this.canvas);
    this.renderer = new THREE.WebGLRenderer({ canvas: this.canvas, antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(1);
    this.scene.background = new THREE.Color(0x202020);
    this.scene.add(this.frustums);
    this.controls = new OrbitControls(this.camera, this.canvas);
    this.controls.enableDamping = false;
    this.controls.addEventListener('change', () => this.cameraMoved());
    // A click (not a drag) inspects a pixel or picks a camera.
    let down: { x: number; y: number } | null = null;
    this.canvas.addEventListener('pointerdown', (e) => (down = { x: e.clientX, y: e.clientY }));
    this.canvas.addEventListener('pointerup', (e) => {
      if (!down || Math.hypot(e.clientX - down.x, e.clientY - down.y) > 4) return;
      const rect = this.canvas.getBoundingClientRect();
      const x = (e.clientX - rect.left) / rect.width;
      const y = (e.clientY - rect.top) / rect.height;
      const frustum = this.pickFrustum(e.clientX - rect.left, e.clientY - rect.top);
      if (frustum >= 0 && !this.atCamera(frustum)) this.events.onFrustumClick(frustum);
      else this.events.onPixelClick(x, y);
    });
    new ResizeObserver(() => this.resize()).observe(container);
    this.resize();
  }

  /** Canvas size in CSS pixels. */
  get size(): { width: number; height: number } {
    return { width: Math.max(1, this.canvas.clientWidth), height: Math.max(1, this.canvas.clientHeight) };
  }

  private resize(): void {
    const { width, height } = this.size;
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    this.cameraMoved();
  }

  private cameraMoved(): void {
    this.cameraVersion++;
    this.selected = this.cameras.findIndex((_, i) => this.atCamera(i));
    this.colourFrustums();
    this.requestDraw();
  }

  /** Shows the training cameras as frustums and looks at the scene from the first one's side. */
  setCameras(cameras: FrustumCamera[], sceneRadius: number): void {
    this.cameras = cameras;
    this.frustums.clear();
    const depth = Math.max(0.02, sceneRadius * 0.08);
    for (const cam of cameras) {
      const { fx, fy, cx, cy } = cam.intrinsics;
      // Corners at `depth` along z (OpenCV: y down), then lines from the centre and around.
      const corner = (u: number, v: number) => new THREE.Vector3(((u - cx) / fx) * depth, ((v - cy) / fy) * depth, depth);
      const c = [corner(0, 0), corner(cam.width, 0), corner(cam.width, cam.height), corner(0, cam.height)];
      const o = new THREE.Vector3();
      const points = [o, c[0]!, o, c[1]!, o, c[2]!, o, c[3]!, c[0]!, c[1]!, c[1]!, c[2]!, c[2]!, c[3]!, c[3]!, c[0]!];
      const geometry = new THREE.BufferGeometry().setFromPoints(points);
      const lines = new THREE.LineSegments(geometry, new THREE.LineBasicMaterial({ color: FRUSTUM_COLOUR }));
      lines.matrixAutoUpdate = false;
      lines.matrix.copy(matrixFromRows(cam.c2w));
      this.frustums.add(lines);
    }
    this.camera.near = Math.max(1e-3, sceneRadius * 0.01);
    this.camera.far = sceneRadius * 50;
    this.camera.updateProjectionMatrix();
    if (cameras.length > 0) this.flyTo(0);
  }

  /** Puts the orbit camera exactly at training camera `index` (same pose and field of view). */
  flyTo(index: number): void {
    const cam = this.cameras[index];
    if (!cam) return;
    const gl = matrixFromRows(opencvToOpengl(cam.c2w));
    const position = new THREE.Vector3().setFromMatrixPosition(gl);
    const forward = new THREE.Vector3(0, 0, -1).transformDirection(gl);
    this.camera.position.copy(position);
    this.camera.up.set(0, 1, 0).transformDirection(gl);
    // Orbit around a point ahead of the camera, at about the scene's middle distance.
    this.controls.target.copy(position.clone().add(forward.multiplyScalar(Math.max(0.3, position.length()))));
    this.camera.fov = (2 * Math.atan(cam.height / 2 / cam.intrinsics.fy) * 180) / Math.PI;
    this.camera.updateProjectionMatrix();
    this.camera.quaternion.setFromRotationMatrix(gl);
    this.controls.update();
    this.camera.quaternion.setFromRotationMatrix(gl);
    this.cameraMoved();
  }

  /** Whether the view is (still) exactly training camera `index`. */
  atCamera(index: number): boolean {
    const cam = this.cameras[index];
    if (!cam) return false;
    const a = this.viewCamera(1, 1).c2w;
    return a.every((v, i) => Math.abs(v - cam.c2w[i]!) < 1e-4);
  }

  /** The training camera whose centre is nearest the view's. */
  nearestCamera(): number {
    const c = this.viewCamera(1, 1).c2w;
    let best = 0;
    let bestDistance = Infinity;
    this.cameras.forEach((f, i) => {
      const d = Math.hypot(f.c2w[3]! - c[3]!, f.c2w[7]! - c[7]!, f.c2w[11]! - c[11]!);
      if (d < bestDistance) [best, bestDistance] = [i, d];
    });
    return best;
  }

  /** The training camera the view is at, or -1. */
  get currentCamera(): number {
    return this.selected;
  }

  /** The current view as a pinhole camera of `width` x `height` pixels, for the field's renderer. */
  viewCamera(width: number, height: number): ViewportCamera {
    this.camera.updateMatrixWorld();
    const c2w = openglToOpencv(rowsFromMatrix(this.camera.matrixWorld));
    const fy = height / 2 / Math.tan((this.camera.fov * Math.PI) / 360);
    return { c2w, intrinsics: { fx: fy, fy, cx: width / 2, cy: height / 2 }, width, height };
  }

  /** The field's image for the current camera (RGBA8, top row first). */
  showImage(rgba: Uint8ClampedArray, width: number, height: number): void {
    if (!this.texture || this.texture.image.width !== width || this.texture.image.height !== height) {
      this.texture?.dispose();
      this.texture = new THREE.DataTexture(new Uint8Array(width * height * 4), width, height, THREE.RGBAFormat);
      this.texture.colorSpace = THREE.SRGBColorSpace;
      this.texture.flipY = true;
      this.texture.magFilter = THREE.LinearFilter;
      this.texture.minFilter = THREE.LinearFilter;
      this.scene.background = this.texture;
    }
    (this.texture.image.data as Uint8Array).set(rgba);
    this.texture.needsUpdate = true;
    this.requestDraw();
  }

  setFrustumsVisible(visible: boolean): void {
    this.frustums.visible = visible;
    this.requestDraw();
  }

  private colourFrustums(): void {
    this.frustums.children.forEach((child, i) => {
      ((child as THREE.LineSegments).material as THREE.LineBasicMaterial).color.setHex(
        i === this.selected ? SELECTED_COLOUR : FRUSTUM_COLOUR,
      );
    });
  }

  /** The frustum whose centre projects nearest the click, within PICK_RADIUS, or -1. */
  private pickFrustum(px: number, py: number): number {
    if (!this.frustums.visible) return -1;
    const { width, height } = this.size;
    let best = -1;
    let bestDistance = PICK_RADIUS;
    this.cameras.forEach((cam, i) => {
      const p = new THREE.Vector3(cam.c2w[3]!, cam.c2w[7]!, cam.c2w[11]!).project(this.camera);
      if (p.z < -1 || p.z > 1) return;
      const d = Math.hypot(((p.x + 1) / 2) * width - px, ((1 - p.y) / 2) * height - py);
      if (d < bestDistance) [best, bestDistance] = [i, d];
    });
    return best;
  }

  private requestDraw(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.renderer.render(this.scene, this.camera);
    });
  }

  dispose(): void {
    this.controls.dispose();
    this.texture?.dispose();
    this.renderer.dispose();
  }
}
