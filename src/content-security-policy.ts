/**
 * The page's Content-Security-Policy, defined once: the build puts it in index.html as a meta tag
 * (vite.config.ts), so the page keeps it wherever its files are hosted, and the project's static
 * server (src/cli/static-server.ts) also sends it as a header. Only the header reaches workers
 * started from a script URL (a worker takes the policy delivered with its script), and the
 * segmenter's worker compiles onnxruntime's wasm: hence 'wasm-unsafe-eval'.
 *
 * Scripts and workers only from this origin. Fetches: this origin, plus the hosts of the model
 * list's downloads (src/segment/model-catalog.ts), used only when the user picks one; Hugging
 * Face's resolve URLs redirect to its CDN hosts (*.huggingface.co, *.hf.co). Fonts: lil-gui's icon
 * font is inlined in its stylesheet as a data: URL.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "connect-src 'self' blob: data: https://raw.githubusercontent.com https://huggingface.co https://*.huggingface.co https://*.hf.co",
  "img-src 'self' blob: data:",
  "font-src 'self' data:",
  "style-src 'self' 'unsafe-inline'",
].join('; ');
