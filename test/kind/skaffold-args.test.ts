import { nest, skaffoldArgs } from '@userforge/devstack';

const o = { context: 'kind-userforge', globalConfig: '/conf/skaffold-global.yaml' };

describe('npm run skaffold: the arguments given to skaffold', () => {
  it('adds the kind context, the global config and the local-bases profile after the command', () => {
    expect(skaffoldArgs(['run', '--status-check=true'], o)).toEqual(['run', '--kube-context', 'kind-userforge', '--config', '/conf/skaffold-global.yaml', '--profile', 'local-bases', '--status-check=true']);
  });

  it('keeps a profile the user names instead of local-bases', () => {
    expect(skaffoldArgs(['run', '-p', 'production'], o)).not.toContain('local-bases');
    expect(skaffoldArgs(['run', '--profile=production'], o)).not.toContain('local-bases');
  });

  it('watches by polling for dev unless the user picks a trigger', () => {
    expect(skaffoldArgs(['dev'], o)).toContain('--trigger=polling');
    expect(skaffoldArgs(['dev', '--trigger=notify'], o).filter((a) => a.startsWith('--trigger'))).toEqual(['--trigger=notify']);
    expect(skaffoldArgs(['run'], o).some((a) => a.startsWith('--trigger'))).toBe(false);
  });

  it('refuses no command with its usage', () => {
    expect(() => skaffoldArgs([], o)).toThrow(/usage: npm run skaffold -- <dev\|run/);
  });

  it('nests dotted keys into a values map', () => {
    expect(nest({ 'a.b.c': 1, 'a.d': 'x', e: true })).toEqual({ a: { b: { c: 1 }, d: 'x' }, e: true });
  });
});
