import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: training-heavy files run in parallel poorly; keep it to the cores we have.
    maxWorkers: 2,
    coverage: { exclude: ['gen/**', 'dist/**', 'test/**', 'bench/**'] },
  },
});
