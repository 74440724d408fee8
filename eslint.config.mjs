// Lint holds the architecture: no floating promises, no reaching into another lib's internals.
import tseslint from "typescript-eslint";

// No project reaches into another's internals: a lib is imported through its public index.
const internals = {
  group: ["**/libs/*/src/**", "**/services/*/src/**", "../../libs/**", "../../services/**"],
  message: "Import a lib through its public index ('#<lib>'), never another project's internals.",
};
// The pure libs also import no transport, queue, store or inference code (the simulator runs them).
const impure = {
  group: [
    "@nestjs/*",
    "nats",
    "bullmq",
    "ioredis",
    "node-llama-cpp",
    "#transport",
    "#llama",
    "#infra",
    "#journal",
    "#worker",
  ],
  message: "Policies are pure: no transport, queue, store or inference imports.",
};

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
      "no-restricted-imports": ["error", { patterns: [internals] }],
      // A file a newcomer can read in one sitting.
      "max-lines": ["error", { max: 400 }],
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
      "libs/stats/**/*.ts",
      "libs/placement/**/*.ts",
    ],
    rules: {
      // This entry replaces the general one for these files, so it repeats its pattern.
      "no-restricted-imports": ["error", { patterns: [internals, impure] }],
    },
  },
  {
    // The dashboard's web UI (React, the DOM): its own tsconfig. From the server's code it takes
    // types only (a value would bundle zod into the page), and the stream's delta applier.
    files: ["services/dashboard/ui/**/*.ts", "services/dashboard/ui/**/*.tsx"],
    extends: [tseslint.configs.base],
    languageOptions: {
      parserOptions: { project: "./services/dashboard/ui/tsconfig.json", tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "no-restricted-imports": "off",
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/libs/**/*.js", "**/libs/**/*.ts", "#*", "!**/libs/contracts/src/dashboard-delta.js"],
              allowTypeImports: true,
              message: "The page takes types only from the server's code (`import type`).",
            },
            { group: ["zod", "node:*"], allowTypeImports: true, message: "The page bundles no server code." },
          ],
        },
      ],
    },
  },
);
