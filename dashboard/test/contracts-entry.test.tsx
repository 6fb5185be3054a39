import fs from 'node:fs';
import path from 'node:path';

const SRC = path.join(__dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(entry.name) ? [full] : [];
  });
}

// The package root carries the zod schemas; only its browser entry keeps zod out of the bundle.
it('imports the contracts through their zod-free browser entry only', () => {
  const offenders = sourceFiles(SRC).flatMap((file) =>
    [...fs.readFileSync(file, 'utf8').matchAll(/from\s+'(@userforge\/contracts[^']*)'/g)]
      .map((m) => m[1])
      .filter((specifier) => specifier !== '@userforge/contracts/browser')
      .map((specifier) => `${path.relative(SRC, file)}: ${specifier}`),
  );
  expect(offenders).toEqual([]);
});
