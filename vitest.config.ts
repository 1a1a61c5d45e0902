import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts'],
          exclude: ['**/*.heavy.test.ts', '**/node_modules/**'],
          testTimeout: 10_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: ['**/*.heavy.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Integration tests spawn real emulator processes and bind ports; two cores, so keep it calm.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'shell',
          // the built Electron main process (out/main/index.js) under Node, with a fake `electron`
          include: ['test/shell/**/*.test.ts'],
          globalSetup: ['test/shell/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          maxWorkers: 2,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
