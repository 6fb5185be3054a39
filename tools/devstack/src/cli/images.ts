import { buildImages, IMAGE_APPS, summaryLine } from '../images/build';
import { ensureBases } from '../images/base';
import { buildServerImages, serverImageValues, SERVER_IMAGES } from '../images/servers';
import { provisionMonitoring } from '../monitoring/provision';
import { provisionPrometheusKubernetes } from '../monitoring/prometheus-k8s';
import { loadStackSettings } from '../stack/settings';

const USAGE = `usage: images [apps|servers|bases|monitoring|prometheus]

  apps        the four app images from the Dockerfile, with buildah (npm run images:build); prints
              one JSON line of sizes
  servers     the chart's development servers (Kafka, Redis, PostgreSQL, FerretDB) as images
  bases       the local Debian bases the Dockerfile builds from
  monitoring  the Prometheus Operator, its config reloader and Prometheus as images for kind
  prometheus  Prometheus with Kubernetes service discovery, built from its Go module`;

const log = (line: string) => console.error(`[images] ${line}`);

/** `npm run images:build` and the image builds of scripts/bootstrap.sh: returns the exit code. */
export async function imagesCli(command = 'apps'): Promise<number> {
  try {
    return build(command);
  } catch (e) {
    // Build failures quote the builder's own output: the message is the whole story.
    log((e as Error).message);
    return 1;
  }
}

function build(command: string): number {
  switch (command) {
    case 'apps': {
      const build = buildImages({ log });
      for (const app of IMAGE_APPS) log(`${build.images[app].ref} → ${build.images[app].archive}`);
      console.log(summaryLine(build));
      return 0;
    }
    case 'servers': {
      const build = buildServerImages({ log });
      for (const name of SERVER_IMAGES) log(`${build.images[name].ref} → ${build.images[name].archive}`);
      const sizes = Object.fromEntries(SERVER_IMAGES.map((n) => [n, { ref: build.images[n].ref, mb: Math.round(build.images[n].bytes / 1e5) / 10 }]));
      console.log(JSON.stringify({ ...sizes, seconds: Math.round(build.seconds * 10) / 10, cached: build.cached, values: serverImageValues(build.images) }));
      return 0;
    }
    case 'bases':
      console.log(JSON.stringify(ensureBases(log)));
      return 0;
    case 'monitoring': {
      const started = Date.now();
      const built = provisionMonitoring(loadStackSettings(), log);
      log(`ready in ${Math.round((Date.now() - started) / 1000)} s`);
      console.log(JSON.stringify(built, null, 2));
      return 0;
    }
    case 'prometheus':
      console.log(provisionPrometheusKubernetes(loadStackSettings(), log));
      return 0;
    default:
      console.error(USAGE);
      return 2;
  }
}
