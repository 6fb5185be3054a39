/**
 * skaffold's custom build step for the `local-bases` profile (`npm run skaffold` turns it on): one
 * target of the Dockerfile built with buildah from the local bases of tools/devstack/src/images/base.ts, then
 * handed to the Docker engine skaffold talks to (`docker load`), from where skaffold loads it into
 * kind as it does any image it built. Used where nothing can be pulled and the engine has no route
 * to a package registry; a user with Docker and internet runs skaffold's own docker builder.
 *
 * skaffold runs it as `tsx scripts/skaffold/build-image.ts <target>` with $IMAGE set to the full
 * reference it expects and $PUSH_IMAGE false for kind.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, IMAGE_APPS, localBuildInputs, type ImageApp, buildah, requireBuildah } from '@userforge/devstack';

export function buildTarget(argv: string[], env: NodeJS.ProcessEnv): { target: ImageApp; image: string } {
  const target = argv[0] as ImageApp | undefined;
  if (!target || !IMAGE_APPS.includes(target)) throw new Error(`usage: build-image.ts <${IMAGE_APPS.join('|')}> (got ${argv[0] ?? 'nothing'})`);
  const image = env.IMAGE;
  if (!image) throw new Error('$IMAGE is not set: skaffold sets it for a custom build step');
  if (env.PUSH_IMAGE === 'true') throw new Error('the local-bases profile builds for kind only (push: false); a registry build uses skaffold\'s docker builder');
  return { target, image };
}

function main(): void {
  const { target, image } = buildTarget(process.argv.slice(2), process.env);
  requireBuildah();
  const log = (line: string) => process.stderr.write(`[build-image] ${line}\n`);
  const { buildArgs, volumes } = localBuildInputs(log);
  log(`building ${image} (target ${target}) with buildah`);
  buildah(
    ['bud', '--layers', '--pull=never', '--network=host', '--target', target, ...buildArgs.flatMap((a) => ['--build-arg', a]), ...volumes.flatMap((v) => ['--volume', v]), '-f', 'Dockerfile', '-t', image, '.'],
    { cwd: REPO_ROOT, timeout: 30 * 60_000, stdio: ['ignore', 2, 2] },
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'userforge-image-'));
  try {
    const archive = path.join(dir, 'image.tar');
    buildah(['push', '--quiet', image, `docker-archive:${archive}:${image}`], { timeout: 10 * 60_000 });
    const loaded = spawnSync('docker', ['load', '-i', archive], { stdio: ['ignore', 2, 2] });
    if (loaded.status !== 0) throw new Error(`docker load of ${image} failed (is DOCKER_HOST the kind engine's? \`npm run skaffold\` sets it)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  try {
    main();
  } catch (e) {
    process.stderr.write(`[build-image] ${(e as Error).message}\n`);
    process.exit(1);
  }
}
