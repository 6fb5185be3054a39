import fs from 'node:fs';
import { CRD_FILE, buildCrd, renderCrd } from '../../scripts/k8s/crd';

describe('the UserGenerationJob CRD', () => {
  it('is committed exactly as generated from the zod contract (run `npm run k8s:generate` after changing it)', () => {
    expect(fs.readFileSync(CRD_FILE, 'utf8')).toBe(renderCrd());
  });

  it('is structural: no additionalProperties beside properties, every property typed', () => {
    const walk = (node: unknown, where: string): void => {
      if (!node || typeof node !== 'object' || Array.isArray(node)) return;
      const n = node as Record<string, unknown>;
      if (n.properties) {
        expect([where, 'additionalProperties' in n]).toEqual([where, false]);
        for (const [name, child] of Object.entries(n.properties as Record<string, Record<string, unknown>>)) {
          expect([`${where}.${name}`, typeof child.type]).toEqual([`${where}.${name}`, 'string']);
          walk(child, `${where}.${name}`);
        }
      }
      if (n.items) walk(n.items, `${where}[]`);
    };
    const version = (buildCrd().spec as { versions: { schema: { openAPIV3Schema: unknown } }[] }).versions[0]!;
    walk(version.schema.openAPIV3Schema, '');
  });
});
