/**
 * A DOM element with its class, text and test id. Text goes through textContent only: file
 * names, class names and anything else a user or a scan supplies is never parsed as HTML.
 */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
  testid?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  if (testid) e.dataset.testid = testid;
  return e;
}
