/**
 * Scores a field on whole held-out frames, as NeRF evaluations do: each frame rendered at its
 * camera with no ray cut short (the view renderer sizes its sample room for the longest ray), then
 * PSNR over every pixel of every frame, SSIM per frame, and, where the scan has labels, how many
 * labelled pixels of a known class the rendered embedding names right.
 */
import { argmaxClass } from '../discover/class-discovery.ts';
import { meanSquaredError, psnrFromMse, ssim } from '../eval/image-quality.ts';
import type { FieldTrainer } from '../field/field-trainer.ts';
import { ViewRenderer, viewSettingsFor } from '../field/view-renderer.ts';
import type { PipelineCache } from '../gpu/pipeline-cache.ts';
import { unitRgb } from '../scan/resample.ts';
import type { Scan } from '../scan/scan.ts';

export interface HeldOutViewsScore {
  /** Over all pixels of all held-out frames (but masked ones). */
  psnr: number;
  /** Mean over the held-out frames. */
  ssim: number;
  pixels: number;
  frames: number;
  /** Share of labelled known-class pixels whose rendered class is their label; null without such pixels. */
  labelAgreement: number | null;
}

export class HeldOutViews {
  private readonly renderer: ViewRenderer;

  /** `knownClasses[c]`: the scan label id that embedding channel c stands for (as the training targets). */
  constructor(
    cache: PipelineCache,
    trainer: FieldTrainer,
    private readonly scan: Scan,
    private readonly frames: readonly number[],
    private readonly knownClasses: readonly number[],
  ) {
    const s = trainer.settings;
    this.renderer = new ViewRenderer(cache, trainer.field, trainer.occupancy.bits, s.occupancy.res, viewSettingsFor(s, cache.device));
  }

  async score(): Promise<HeldOutViewsScore> {
    let se = 0;
    let pixels = 0;
    let ssimSum = 0;
    let labelled = 0;
    let agree = 0;
    for (const index of this.frames) {
      const frame = this.scan.frames[index]!;
      const view = await this.renderer.renderView({
        c2w: frame.c2w,
        intrinsics: frame.intrinsics,
        width: frame.width,
        height: frame.height,
      });
      const rendered = { width: view.width, height: view.height, rgb: view.rgb };
      // The photograph, already composited on the scan's background.
      const photo = { width: frame.width, height: frame.height, rgb: unitRgb(frame.rgba) };
      // Masked pixels (a nerfstudio mask_path) are not scored; SSIM's windows run over the whole frame.
      const e = meanSquaredError(rendered, photo, frame.mask);
      se += e.mse * e.pixels;
      pixels += e.pixels;
      ssimSum += ssim(rendered, photo);
      if (!frame.labels) continue;
      for (let p = 0; p < view.width * view.height; p++) {
        const channel = this.knownClasses.indexOf(frame.labels[p]!); // masked pixels carry label 0, never known
        if (channel < 0) continue;
        labelled++;
        if (argmaxClass(view.probs, p * view.k, view.k) === channel) agree++;
      }
    }
    return {
      psnr: psnrFromMse(se / pixels),
      ssim: ssimSum / this.frames.length,
      pixels,
      frames: this.frames.length,
      labelAgreement: labelled > 0 ? agree / labelled : null,
    };
  }

  destroy(): void {
    this.renderer.destroy();
  }
}
