/**
 * The few buildah calls the image scripts make, each failing with the command and buildah's own
 * message. buildah builds Dockerfiles and OCI images without a container engine or a registry.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';

/** Runs a program to completion; returns its stdout, or throws with its stderr. */
export function sh(program: string, args: string[], options: SpawnSyncOptions = {}): string {
  const r = spawnSync(program, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...options });
  if (r.error) throw new Error(`${program} could not run: ${r.error.message}`);
  if (r.status !== 0) {
    const output = `${String(r.stderr ?? '')}${String(r.stdout ?? '')}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`${program} ${args.join(' ')} failed (exit ${r.status ?? r.signal}):\n${output}`);
  }
  return String(r.stdout ?? '');
}

/** Throws a message that says what to install when buildah (or the root it needs here) is missing. */
export function requireBuildah(): void {
  const r = spawnSync('buildah', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error('buildah is not installed: the images are built with buildah (Debian: apt-get install buildah, or run scripts/bootstrap.sh)');
  }
  // The bases are assembled in a mounted container; rootless buildah would need `buildah unshare`.
  if (process.getuid?.() !== 0) throw new Error('the image build needs root (buildah mount); run it as root or under `buildah unshare`');
}

export function buildah(args: string[], options: SpawnSyncOptions = {}): string {
  return sh('buildah', args, options);
}

/** Whether the local store holds an image of that name. */
export function imageExists(ref: string): boolean {
  return spawnSync('buildah', ['inspect', '--type', 'image', ref], { stdio: 'ignore' }).status === 0;
}

/** The parts of an image's OCI configuration the tests and the size report read. */
export interface ImageInfo {
  id: string;
  /** Uncompressed size of all layers, in bytes. */
  size: number;
  config: { User?: string; Env?: string[]; Entrypoint?: string[] | null; Cmd?: string[] | null; ExposedPorts?: Record<string, object>; StopSignal?: string; WorkingDir?: string };
}

export function inspectImage(ref: string): ImageInfo {
  const raw = JSON.parse(buildah(['inspect', '--type', 'image', ref])) as { FromImageID: string; Manifest: string; OCIv1: { config?: ImageInfo['config'] } };
  // Layers sit uncompressed in the local store, so the manifest's layer sizes add up to the unpacked size.
  const layers = (JSON.parse(raw.Manifest) as { layers: { size: number }[] }).layers;
  return { id: raw.FromImageID, size: layers.reduce((sum, l) => sum + l.size, 0), config: raw.OCIv1.config ?? {} };
}
