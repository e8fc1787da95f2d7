/**
 * The page's status line: the stage the run is at (training, paused, pre-segmenting...), the last
 * discovery update, and a notice that stays for a while whatever the stage (an error, the result
 * of something the user did). Text only.
 */
const NOTICE_MS = 20_000;

export class StatusLine {
  private stage = 'Starting';
  private discovery = '';
  private notice: { text: string; at: number } | null = null;

  constructor(private readonly element: HTMLElement) {}

  get text(): string {
    return this.element.textContent ?? '';
  }

  /** The current stage; keeps the discovery note and a live notice beside it. */
  show(stage: string): void {
    this.stage = stage;
    const notice = this.notice && performance.now() - this.notice.at < NOTICE_MS ? this.notice.text : '';
    this.element.textContent = [stage, this.discovery, notice].filter((t) => t).join(' · ');
  }

  /** What the last discovery update found ('' to forget it). */
  setDiscovery(text: string): void {
    this.discovery = text;
    this.show(this.stage);
  }

  /** A message that stays beside the stage for a while. */
  note(text: string): void {
    this.notice = { text, at: performance.now() };
    this.show(this.stage);
  }
}
