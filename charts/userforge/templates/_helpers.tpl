{{/*
Named templates of the userforge chart; every name starts with `userforge.`.
Component templates take a dict: (dict "ctx" $ "component" "api").
*/}}

{{/* The chart name, cut to 63 characters (the limit of a DNS label and a label value). */}}
{{- define "userforge.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* `<release>-<chart>`, or the release name alone when it already holds the chart name; 63 characters at most. */}}
{{- define "userforge.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The name of one component's objects: `<fullname>-<component>`, 63 characters at most. */}}
{{- define "userforge.componentName" -}}
{{- printf "%s-%s" (include "userforge.fullname" .ctx) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The operator's role over UserGenerationJobs: a ClusterRole (then cluster-scoped, so the release's
namespace is in its name) or, with operator.watchNamespace, a Role in that namespace. */}}
{{- define "userforge.operatorJobsRoleName" -}}
{{- if .Values.operator.watchNamespace }}
{{- printf "%s-jobs" (include "userforge.componentName" (dict "ctx" . "component" "operator")) }}
{{- else }}
{{- printf "%s-%s" .Release.Namespace (include "userforge.componentName" (dict "ctx" . "component" "operator")) }}
{{- end }}
{{- end }}

{{/* Chart name and version as the helm.sh/chart label wants them. */}}
{{- define "userforge.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: the few that never change over a release's life (a Deployment's selector is immutable). */}}
{{- define "userforge.selectorLabels" -}}
app.kubernetes.io/name: {{ include "userforge.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Every label of a component's objects: the selector labels plus chart, version and the user's commonLabels. */}}
{{- define "userforge.labels" -}}
{{ include "userforge.selectorLabels" . }}
helm.sh/chart: {{ include "userforge.chart" .ctx }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: userforge
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* `registry/repository:tag` of a component's image. */}}
{{- define "userforge.image" -}}
{{- $values := index .ctx.Values .component }}
{{- $tag := $values.image.tag | default .ctx.Values.image.tag | default .ctx.Chart.AppVersion }}
{{- $repository := $values.image.repository }}
{{- with .ctx.Values.image.registry }}
{{- $repository = printf "%s/%s" (trimSuffix "/" .) $repository }}
{{- end }}
{{- printf "%s:%s" $repository $tag }}
{{- end }}

{{/* The Secret holding the MongoDB and Redis URLs the chart was given inline. */}}
{{- define "userforge.connectionsSecretName" -}}
{{- include "userforge.componentName" (dict "ctx" . "component" "connections") }}
{{- end }}

{{/* The Secret holding the API key: the user's, or the one the chart generates. */}}
{{- define "userforge.apiKeySecretName" -}}
{{- .Values.apiKey.existingSecret | default (include "userforge.componentName" (dict "ctx" . "component" "api-key")) }}
{{- end }}

{{/* The operator's Lease: the same name as its Deployment. */}}
{{- define "userforge.leaseName" -}}
{{- include "userforge.componentName" (dict "ctx" . "component" "operator") }}
{{- end }}

{{/* Environment every app shares: Kafka brokers, and the MongoDB and Redis URLs from Secrets. */}}
{{- define "userforge.connectionEnv" -}}
- name: KAFKA_BROKERS
  value: {{ include "userforge.kafkaBrokers" . | quote }}
- name: KAFKA_PARTITIONS
  value: {{ .Values.kafka.partitions | quote }}
- name: MONGO_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "userforge.urlSecretName" (dict "ctx" . "server" "mongodb") }}
      key: {{ .Values.mongodb.existingSecretKey }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "userforge.urlSecretName" (dict "ctx" . "server" "redis") }}
      key: {{ .Values.redis.existingSecretKey }}
{{- include "userforge.requireServers" . }}
{{- end }}

{{/* Fails the render (so `helm install` stops before creating anything) when a server the apps need has no address: never a crash loop. */}}
{{- define "userforge.requireServers" -}}
{{- $missing := list }}
{{- if not (or .Values.devServers.kafka.enabled .Values.strimzi.enabled .Values.kafka.brokers) }}
{{- $missing = append $missing "kafka.brokers (e.g. --set 'kafka.brokers={kafka:9092}')" }}
{{- end }}
{{- if not (or .Values.devServers.mongodb.enabled .Values.mongodb.existingSecret .Values.mongodb.url) }}
{{- $missing = append $missing "mongodb.url or mongodb.existingSecret (e.g. --set mongodb.url=mongodb://mongodb:27017/userforge)" }}
{{- end }}
{{- if not (or .Values.devServers.redis.enabled .Values.redis.existingSecret .Values.redis.url) }}
{{- $missing = append $missing "redis.url or redis.existingSecret (e.g. --set redis.url=redis://redis:6379)" }}
{{- end }}
{{- with $missing }}
{{- fail (printf "userforge needs Kafka, MongoDB and Redis, and these values are missing: %s. Give your servers, or run the chart's own development servers with `-f charts/userforge/values-dev.yaml` (devServers.kafka/mongodb/redis.enabled=true)." (join "; " .)) }}
{{- end }}
{{- end }}

{{/* Pod-level security: a non-root uid/gid and the runtime's default seccomp profile. */}}
{{- define "userforge.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
fsGroup: {{ .uid }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Container-level security: read-only root filesystem, no privilege escalation, no capabilities. */}}
{{- define "userforge.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* The writable /tmp a container gets under its read-only root filesystem (volume side). */}}
{{- define "userforge.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.pods.tmpSizeLimit }}
{{- end }}

{{/* Spread a component's pods over zones, then nodes; soft, so a one-node cluster still schedules them. */}}
{{- define "userforge.topologySpread" -}}
{{- if .ctx.Values.pods.topologySpread }}
topologySpreadConstraints:
  {{- range list "topology.kubernetes.io/zone" "kubernetes.io/hostname" }}
  - maxSkew: 1
    topologyKey: {{ . }}
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "userforge.selectorLabels" $ | nindent 8 }}
    # Count only the pods of the current rollout, not the ReplicaSet being replaced.
    matchLabelKeys: ["pod-template-hash"]
  {{- end }}
{{- end }}
{{- end }}

{{/* Scheduling knobs of every component: pull secrets, nodeSelector, tolerations, affinity, topology spread. */}}
{{- define "userforge.scheduling" -}}
{{- $values := index .ctx.Values .component }}
{{- include "userforge.topologySpread" . }}
{{- with .ctx.Values.imagePullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- with $values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* NetworkPolicy egress every app needs: DNS, then Kafka, MongoDB and Redis. */}}
{{- define "userforge.serverEgress" -}}
- to:
    {{- toYaml .Values.networkPolicy.dns | nindent 4 }}
  ports:
    - { protocol: UDP, port: 53 }
    - { protocol: TCP, port: 53 }
{{- range $server := list "kafka" "mongodb" "redis" }}
{{- if (index $.Values.devServers $server).enabled }}
{{ include "userforge.devServerEgressRule" (dict "ctx" $ "server" $server) }}
{{- else }}
{{ include "userforge.egressRule" (index $.Values.networkPolicy.egress $server) }}
{{- end }}
{{- end }}
{{- end }}

{{/* NetworkPolicy peers that may scrape the metrics ports: Prometheus' pods (podLabels) in its namespaces, then extraPeers. */}}
{{- define "userforge.metricsScraperPeers" -}}
{{- $m := .Values.networkPolicy.metricsScrapers }}
{{- $peer := dict "namespaceSelector" (dict) }}
{{- with $m.namespaces }}
{{- $_ := set $peer "namespaceSelector" (dict "matchExpressions" (list (dict "key" "kubernetes.io/metadata.name" "operator" "In" "values" .))) }}
{{- end }}
{{- with $m.podLabels }}
{{- $_ := set $peer "podSelector" (dict "matchLabels" .) }}
{{- end }}
{{- toYaml (prepend $m.extraPeers $peer) }}
{{- end }}

{{/* One egress rule from {ports, to}: TCP to those ports, at the given peers or anywhere. */}}
{{- define "userforge.egressRule" -}}
- ports:
    {{- range .ports }}
    - { protocol: TCP, port: {{ . }} }
    {{- end }}
  {{- with .to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/* The port each development server listens on (the same as networkPolicy.egress's defaults). */}}
{{- define "userforge.devServerPort" -}}
{{- get (dict "kafka" 9092 "mongodb" 27017 "redis" 6379) .server }}
{{- end }}

{{/* A development server's client Service (and StatefulSet): `<fullname>-dev-<server>`. Takes (dict "ctx" $ "server" "kafka"). */}}
{{- define "userforge.devServerName" -}}
{{- include "userforge.componentName" (dict "ctx" .ctx "component" (printf "dev-%s" .server)) }}
{{- end }}

{{/* Egress from an app to the in-chart development server only (its pods, its port). */}}
{{- define "userforge.devServerEgressRule" -}}
- ports:
    - { protocol: TCP, port: {{ include "userforge.devServerPort" . }} }
  to:
    - podSelector:
        matchLabels:
          {{- include "userforge.selectorLabels" (dict "ctx" .ctx "component" (printf "dev-%s" .server)) | nindent 10 }}
{{- end }}

{{/* The Strimzi Kafka cluster's name; its bootstrap Service is `<name>-kafka-bootstrap`. */}}
{{- define "userforge.strimziClusterName" -}}
{{- include "userforge.fullname" . }}
{{- end }}

{{/* Kafka bootstrap brokers, comma-separated: the in-chart dev server, else Strimzi's bootstrap Service, else kafka.brokers. */}}
{{- define "userforge.kafkaBrokers" -}}
{{- if and .Values.devServers.kafka.enabled .Values.strimzi.enabled }}
{{- fail "devServers.kafka and strimzi are both enabled: the apps can use only one Kafka; turn one off" }}
{{- else if .Values.devServers.kafka.enabled }}
{{- printf "%s:%s" (include "userforge.devServerName" (dict "ctx" . "server" "kafka")) (include "userforge.devServerPort" (dict "server" "kafka")) }}
{{- else if .Values.strimzi.enabled }}
{{- printf "%s-kafka-bootstrap:9092" (include "userforge.strimziClusterName" .) }}
{{- else }}
{{- join "," .Values.kafka.brokers }}
{{- end }}
{{- end }}

{{/* "true" when the chart's connections Secret holds a server's URL (a dev server's, or the inline url); "" when an existingSecret does. Takes (dict "ctx" $ "server" "mongodb"). */}}
{{- define "userforge.urlInOwnSecret" -}}
{{- if or (index .ctx.Values.devServers .server).enabled (not (index .ctx.Values .server).existingSecret) }}true{{ end }}
{{- end }}

{{/* The Secret an app reads a server's URL from. Takes (dict "ctx" $ "server" "mongodb"). */}}
{{- define "userforge.urlSecretName" -}}
{{- if include "userforge.urlInOwnSecret" . }}
{{- include "userforge.connectionsSecretName" .ctx }}
{{- else }}
{{- (index .ctx.Values .server).existingSecret }}
{{- end }}
{{- end }}

{{/* The MongoDB connection string the connections Secret holds: the dev server's, or mongodb.url. */}}
{{- define "userforge.mongodbUrl" -}}
{{- if .Values.devServers.mongodb.enabled }}
{{- printf "mongodb://%s:%s/%s" (include "userforge.devServerName" (dict "ctx" . "server" "mongodb")) (include "userforge.devServerPort" (dict "server" "mongodb")) .Values.devServers.mongodb.database }}
{{- else }}
{{- .Values.mongodb.url }}
{{- end }}
{{- end }}

{{/* The Redis URL the connections Secret holds: the dev server's, or redis.url. */}}
{{- define "userforge.redisUrl" -}}
{{- if .Values.devServers.redis.enabled }}
{{- printf "redis://%s:%s" (include "userforge.devServerName" (dict "ctx" . "server" "redis")) (include "userforge.devServerPort" (dict "server" "redis")) }}
{{- else }}
{{- .Values.redis.url }}
{{- end }}
{{- end }}


{{/* "true" when the ServiceMonitors render: asked for, and the cluster serves the Prometheus Operator's API. */}}
{{- define "userforge.serviceMonitorsRendered" -}}
{{- if and .Values.monitoring.serviceMonitors.enabled (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1") }}true{{ end }}
{{- end }}

{{/* prometheus.io/* pod annotations for Prometheus' pod discovery; none when a ServiceMonitor scrapes the pods (no double scrape). Takes (dict "ctx" $ "port" <metrics port>). */}}
{{- define "userforge.scrapeAnnotations" -}}
{{- if and .ctx.Values.monitoring.scrapeAnnotations (not (include "userforge.serviceMonitorsRendered" .ctx)) }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end }}

{{/* A development server's volumeClaimTemplates entry `data`. Takes (dict "ctx" $ "component" "dev-kafka" "persistence" {size, storageClass}). */}}
{{- define "userforge.devServerVolumeClaim" -}}
- metadata:
    name: data
    labels:
      {{- include "userforge.selectorLabels" . | nindent 6 }}
  spec:
    accessModes: [ReadWriteOnce]
    {{- with .persistence.storageClass }}
    storageClassName: {{ . }}
    {{- end }}
    resources:
      requests:
        storage: {{ .persistence.size }}
{{- end }}
