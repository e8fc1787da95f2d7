import { defineConfig } from 'vitest/config';
import { CONTENT_SECURITY_POLICY } from './src/content-security-policy.ts';
import { LAVAPIPE_TEST_TIMEOUT_MS } from './tools/lavapipe.mjs';

// The tests that run WGSL kernels, run a second time on Mesa's lavapipe (unit-lavapipe): a kernel
// must be right on two independent Vulkan implementations, not on SwiftShader's quirks alone.
const KERNEL_TESTS = [
  'adam',
  'checkpoint',
  'device-loss',
  'field-training',
  'gpu-profiling',
  'hash-grid',
  'mlp',
  'named-bindings',
  'object-capture-training',
  'occupancy-grid',
  'prefix-sum',
  'ray-sampler',
  'run-loop',
  'trainer-snapshot',
  'uniform-layout',
  'view-render',
  'volume-render',
  'vulkan-driver',
  'workgroup-folding',
].map((name) => `tests/unit/${name}.test.ts`);

// One config for the page build and both test suites:
//   unit - Node; WGSL kernels run through Dawn (the `webgpu` package), SwiftShader without a GPU.
//   unit-lavapipe - the kernel tests again, on Mesa's lavapipe (tests/helpers/node-gpu.ts).
//   e2e  - the built page served on localhost, driven in Debian's Chromium through Playwright.
export default defineConfig({
  base: './',
  plugins: [
    {
      // First in <head>: a meta policy covers only what comes after it.
      name: 'content-security-policy',
      transformIndexHtml: () => [
        { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' },
      ],
    },
  ],
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    // The page is one app loaded from localhost: three.js alone is ~700 kB minified. Vite's
    // 500 kB warning would land on stderr of every headless command (which promise one line).
    chunkSizeWarningLimit: 2048,
    // Likewise the bundler's warning that plugins took long, which a loaded machine (CI's two
    // cores) prints on some builds and not others.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  worker: { format: 'es', rolldownOptions: { checks: { bundlerTimings: false } } },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  test: {
    reporters: ['default', './tests/helpers/summary-reporter.ts'],
    // Each file gets its own process: Dawn and Chromium each keep native state per process.
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'unit-lavapipe',
          include: KERNEL_TESTS,
          env: { NEURNCD_VULKAN_DRIVER: 'lavapipe' },
          // lavapipe compiles a pipeline with LLVM at its first dispatch: about 8 s for each MLP
          // kernel (a few dozen layer shapes), once per machine, since Mesa keeps the result in
          // ~/.cache/mesa_shader_cache_db. One file at a time: two files must not compile the
          // same kernels at once, and a test must have the time (kernelTestTimeout for the tests
          // that set their own).
          fileParallelism: false,
          testTimeout: LAVAPIPE_TEST_TIMEOUT_MS,
          hookTimeout: LAVAPIPE_TEST_TIMEOUT_MS,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          globalSetup: ['./tests/helpers/e2e-global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          // The page under test already uses both cores; run the browser tests one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
