/**
 * The photo of the training camera the view is at, as an inset in the view's corner: the field's
 * rendering and the photo it was trained on, side by side at the same pose (instant-ngp shows
 * the training image the same way). Hidden while the view is anywhere else.
 */
import { element } from './dom-element.ts';

export interface CameraPhotoFrame {
  name: string;
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

export class CameraPhoto {
  readonly element = element('figure', 'camera-photo', undefined, 'camera-photo');
  private readonly canvas = element('canvas');
  private readonly caption = element('figcaption');
  private shown: CameraPhotoFrame | null = null;

  constructor() {
    this.element.append(this.canvas, this.caption);
    this.element.hidden = true;
    this.canvas.setAttribute('aria-label', 'photo of this training camera');
  }

  /** Shows `frame`'s photo (index `index` of the scan), or hides the inset for null. */
  show(frame: CameraPhotoFrame | null, index = -1): void {
    this.element.hidden = frame === null;
    if (!frame || frame === this.shown) return;
    this.shown = frame;
    this.canvas.width = frame.width;
    this.canvas.height = frame.height;
    this.canvas.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(frame.rgba), frame.width, frame.height), 0, 0);
    this.caption.textContent = `Photo ${index}: ${frame.name}`;
    this.element.dataset.frame = String(index);
  }
}
