// Lint holds the architecture: no floating promises, no reaching into another lib's internals.
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", ".cache/**"] },
  {
    files: ["**/*.ts"],
    extends: [tseslint.configs.base],
    languageOptions: {
      parserOptions: { project: "./tsconfig.json", tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          allowForKnownSafeCalls: [
            { from: "package", package: "node:test", name: ["describe", "it", "test", "suite"] },
          ],
        },
      ],
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: false }],
      "@typescript-eslint/await-thenable": "error",
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/libs/*/src/**", "**/services/*/src/**", "../../libs/**", "../../services/**"],
              message: "Import a lib through its public index ('#<lib>'), never another project's internals.",
            },
          ],
        },
      ],
    },
  },
  {
    // Policies and pure logic import no transport, so the simulator can run them; nor does the simulator.
    files: [
      "libs/pairing/**/*.ts",
      "libs/speculation/**/*.ts",
      "libs/window/**/*.ts",
      "libs/batching/**/*.ts",
      "libs/sim/**/*.ts",
    ],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@nestjs/*", "nats", "bullmq", "ioredis", "node-llama-cpp", "#transport", "#llama", "#infra"],
              message: "Policies are pure: no transport, queue, store or inference imports.",
            },
          ],
        },
      ],
    },
  },
);
