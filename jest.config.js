/** One jest run for unit and integration tests; integration tests get their own servers (test/global-setup.ts). */
const ESM_ONLY = ['@kubernetes/client-node', 'openid-client', 'oauth4webapi', 'jose'];

module.exports = {
  testEnvironment: 'node',
  transform: {
    // Dashboard components (TSX, React's automatic runtime); listed first because jest takes the first match.
    '^.+\\.tsx$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript', tsx: true }, transform: { react: { runtime: 'automatic' } } } },
    ],
    '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022' } }],
    // @kubernetes/client-node 1.x and the OpenID libraries it loads ship only ES modules; jest's
    // runtime on Node 20 loads CommonJS, so these (and only these) are compiled like our sources.
    [`/node_modules/(${ESM_ONLY.join('|')})/.+\\.js$`]: ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  testMatch: ['<rootDir>/{packages,services,operator,test}/**/*.test.ts', '<rootDir>/dashboard/test/**/*.test.tsx'],
  testPathIgnorePatterns: ['/node_modules/'],
  // The running stacks' data (.stack: etcd, Kafka, the kind engine's images): not sources. Crawling it
  // slows every run, and etcd's `*.snap` files there read as obsolete jest snapshots (a failed run).
  modulePathIgnorePatterns: ['<rootDir>/.stack/', '<rootDir>/test-results/'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  // Integration tests wait on real servers; on a busy 2-core machine a generous bound keeps them from flaking.
  testTimeout: 180_000,
};
