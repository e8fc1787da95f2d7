import { describe, expect, it } from 'vitest';
import { describeAdapter } from '../../src/gpu/gpu-context.ts';
import { getTestGpu, SWIFTSHADER_ICD } from '../helpers/node-gpu.ts';

// The kernel tests run twice, on two Vulkan implementations (vite.config.ts); each run must be on
// the driver its project names, or the second run could silently be the first one again.
describe('the Vulkan driver under the kernel tests', () => {
  it('is lavapipe in the unit-lavapipe project, SwiftShader when the unit project has no GPU', async ({ task }) => {
    const adapter = describeAdapter((await getTestGpu()).summary);
    if (task.file.projectName === 'unit-lavapipe') {
      expect(adapter).toMatch(/llvmpipe/);
    } else if (process.env.VK_ICD_FILENAMES === SWIFTSHADER_ICD) {
      expect(adapter).toMatch(/swiftshader/);
    }
  });
});
