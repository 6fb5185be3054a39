/** One jest run for unit and integration tests; integration tests get their own servers (test/global-setup.ts). */
module.exports = {
  testEnvironment: 'node',
  transform: {
    // Dashboard components (TSX, React's automatic runtime); listed first because jest takes the first match.
    '^.+\\.tsx$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript', tsx: true }, transform: { react: { runtime: 'automatic' } } } },
    ],
    '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022' } }],
  },
  testMatch: ['<rootDir>/{packages,services,test}/**/*.test.ts', '<rootDir>/dashboard/test/**/*.test.tsx'],
  testPathIgnorePatterns: ['/node_modules/'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  testTimeout: 60_000,
};
