/**
 * The dev platform as a package: the local stack of real servers (and an isolated one per test
 * run), a Kubernetes control plane, kind on a Docker engine of its own, and images built without a
 * registry. The `npm run stack:* | kind:* | images:build | skaffold` commands are its CLIs.
 */

// The local stack: settings, servers, apps, and the supervisor that starts and stops them.
export { REPO_ROOT, loadStackSettings, stackPaths, type StackSettings } from './stack/settings';
export { SERVER_NAMES, serverDefs, type ServerName } from './stack/servers';
export type { ProcessDef } from './stack/process-def';
export { APPS, appEnv, dashboardCommand, isAppName, stackDefs, tsxCommand, type AppName } from './stack/apps';
export { StackError, down, formatStatusTable, reset, status, up, type ProcessStatus } from './stack/supervisor';
export { isolatedSettings, startIsolatedStack } from './stack/isolated';
export { freePort, isOurProcess, readPid } from './stack/procs';
export { waitForHttp } from './stack/health';
export { ProvisionError, requireTool } from './prerequisites';
export { waitUntil } from './wait-until';

// The Kubernetes control plane's binaries and the tools built with them.
export { installedKubernetes, provisionHelm, provisionKubernetes, type KubeInstall } from './kube/provision';
export { goEnv } from './go-build';
export { kubeconfigPath } from './kube/servers';
export { installedTool, provisionHelmDocs, provisionSkaffold, toolHome } from './kube/tools';
export { portForward, type PortForward } from './kube/port-forward';

// kind: the cluster, its engine, its node image and add-ons.
export { KIND_CONFIG, dockerEnv, kindClusterName, kindDown, kindKubeconfig, kindProvision, kindStatus, kindUp, loadImages, type KindStatus } from './kind/kind';
export { kindPaths, loadKindSettings, type KindSettings } from './kind/settings';
export { enginePid } from './kind/engine';
export { installedKindTools } from './kind/tools';
export { IMAGE_REFS, busyboxImage, imagesDir } from './kind/images';
export { installAddons, kindIngressOrigin, localClusterValues } from './kind/addons';
// Pure pieces of the kind recipe, for their unit tests.
export { cgroupMounts, namespaceSetup } from './kind/engine';
export { cniConfig, localKindConfig, networkManifest, nodeImageRefs, storageManifest } from './kind/manifests';
export { criBaseSpec, entrypointGuard } from './kind/node-image';
export { clusterProblems } from './kind/readiness';
export { patchQueueExpressions } from './kind/tools';

// Monitoring on a cluster: the Prometheus Operator and a Prometheus it runs.
export { MONITORING_NAMESPACE, installMonitoring } from './monitoring/install';

// Images built with buildah, without a Docker engine or a registry.
export { IMAGE_APPS, buildImages, localBuildInputs, type ImageApp, type ImagesBuild } from './images/build';
export { SERVER_IMAGES, buildServerImages, serverImageValues, type ServerImagesBuild } from './images/servers';
export { buildah, inspectImage, requireBuildah, type ImageInfo } from './images/buildah';
export { bundle } from './images/bundle';

// Generated files (`npm run k8s:generate`, `npm run chart:docs`), which tests check are fresh.
export { CHART_CRD_FILE, CRD_FILE, buildCrd, renderCrd } from './generate/crd';
export { CHART_RULES_FILE, K8S_NAMES, K8S_RBAC_FILE, ROLES, renderChartRules, renderK8sRbac } from './generate/rbac';
export { CHARTS_DIR, CHART_README, runHelmDocs } from './generate/chart-docs';

// The API fuzzer (schemathesis).
export { MIN_CASES, runSchemathesis, type FuzzResult } from './fuzz/run';

// The operator against a control plane: its CRD, UserGenerationJobs, the operator as a process.
export {
  CRD,
  RBAC,
  aUgj,
  apply,
  consumerDeployment,
  createNamespace,
  getUgj,
  installCrd,
  jobsInDb,
  kubectl,
  mustOk,
  replicasOf,
  startOperator,
  usersOfJob,
  type Kube,
  type OperatorProcess,
} from './operator/harness';

// The command lines behind the npm scripts.
export { runCli } from './cli/run-cli';
export { stackCli } from './cli/stack';
export { kindCli } from './cli/kind';
export { imagesCli } from './cli/images';
export { nest, skaffoldArgs, skaffoldCli } from './cli/skaffold';
export { bundleCli } from './images/bundle';
export { writeChartReadme } from './generate/chart-docs';
export { writeCrd } from './generate/crd';
export { writeRbac } from './generate/rbac';
export { fuzzCli } from './fuzz/run';
export { provisionSchemathesisCli } from './fuzz/provision';
