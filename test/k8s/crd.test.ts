import fs from 'node:fs';
import { CHART_CRD_FILE, CRD_FILE, buildCrd, renderCrd } from '@userforge/devstack';

describe('the UserGenerationJob CRD', () => {
  it.each([
    ['k8s/crds/', CRD_FILE],
    ["the chart's crds/", CHART_CRD_FILE],
  ])('is committed in %s exactly as generated from the zod contract (run `npm run k8s:generate` after changing it)', (_where, file) => {
    expect(fs.readFileSync(file, 'utf8')).toBe(renderCrd());
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
