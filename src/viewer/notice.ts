/**
 * A full-page explanation instead of a blank canvas (no WebGPU, lost device). Text only: nothing
 * that reaches here is ever parsed as HTML.
 */
export function showNotice(container: HTMLElement, title: string, paragraphs: string[]): HTMLElement {
  const box = document.createElement('section');
  box.className = 'notice';
  box.dataset.testid = 'notice';
  const heading = document.createElement('h2');
  heading.textContent = title;
  box.append(heading);
  for (const text of paragraphs) {
    const p = document.createElement('p');
    p.textContent = text;
    box.append(p);
  }
  container.replaceChildren(box);
  return box;
}

export function showNoWebGpu(container: HTMLElement, reason: string): HTMLElement {
  return showNotice(container, 'This page needs WebGPU', [
    reason,
    'NeurNCD-web trains a neural field on your GPU inside the browser. Use a recent Chrome, Edge or ' +
      'another Chromium-based browser (version 113 or later) on Windows, macOS or ChromeOS, or Chrome ' +
      'on Linux/Android with WebGPU enabled (chrome://flags/#enable-unsafe-webgpu); Safari 26 and ' +
      'Firefox 141 on Windows also ship WebGPU.',
    'The page must be opened over https:// or from http://localhost: WebGPU is only offered to secure contexts.',
  ]);
}
