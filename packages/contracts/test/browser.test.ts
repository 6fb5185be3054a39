import fs from 'node:fs';
import path from 'node:path';
import * as browser from '@userforge/contracts/browser';
import * as contracts from '../src';

const SRC = path.join(__dirname, '..', 'src');

/** Modules `file` loads at run time: type-only imports and exports leave nothing behind, so they do not count. */
function runtimeImports(file: string): string[] {
  const source = fs.readFileSync(file, 'utf8');
  return [...source.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?\sfrom\s+'([^']+)'/gm)].map((m) => m[1]!);
}

describe('@userforge/contracts/browser', () => {
  it('loads no zod, directly or through the modules it exports', () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const specifier of runtimeImports(file)) {
        expect(`${path.relative(SRC, file)} imports ${specifier}`).not.toMatch(/ imports zod/);
        if (specifier.startsWith('.')) visit(path.join(path.dirname(file), `${specifier}.ts`));
        else throw new Error(`${path.relative(SRC, file)} imports the package ${specifier}; the browser entry takes none`);
      }
    };
    visit(path.join(SRC, 'browser.ts'));
    expect(seen.size).toBeGreaterThan(1);
  });

  it('hands out the very constants the schemas use', () => {
    expect(browser.GENDERS).toBe(contracts.GENDERS);
    expect(browser.USER_SORTS).toBe(contracts.USER_SORTS);
    expect(browser.USER_FIELD_MAX).toBe(contracts.USER_FIELD_MAX);
    expect(browser.MAX_JOB_COUNT).toBe(1_000_000_000);
    expect(contracts.createJobRequestSchema(browser.MAX_JOB_COUNT).safeParse({ count: 1, seed: browser.MAX_SEED, chunkSize: browser.MIN_CHUNK_SIZE }).success).toBe(true);
    expect(contracts.listUsersQuerySchema.safeParse({ name: 'x'.repeat(browser.USER_FIELD_MAX.name + 1) }).success).toBe(false);
  });

  it('sorts every job state into active or terminal', () => {
    expect([...browser.ACTIVE_STATES, ...browser.TERMINAL_STATES].sort()).toEqual([...browser.JOB_STATES].sort());
    expect(browser.ACTIVE_STATES).toEqual(['publishing', 'paused', 'running']);
  });

  it('checks 24-hex ids in one way', () => {
    expect(browser.isObjectIdHex('0123456789abcdef01234567')).toBe(true);
    expect(browser.isObjectIdHex('0123456789ABCDEF01234567')).toBe(false);
    expect(browser.isObjectIdHex('0123456789abcdef0123456')).toBe(false);
    expect(contracts.userIdSchema.safeParse('0123456789abcdef01234567').success).toBe(true);
  });
});
