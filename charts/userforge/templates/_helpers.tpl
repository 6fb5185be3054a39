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
  value: {{ join "," .Values.kafka.brokers | quote }}
- name: KAFKA_PARTITIONS
  value: {{ .Values.kafka.partitions | quote }}
- name: MONGO_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.mongodb.existingSecret | default (include "userforge.connectionsSecretName" .) }}
      key: {{ .Values.mongodb.existingSecretKey }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.existingSecret | default (include "userforge.connectionsSecretName" .) }}
      key: {{ .Values.redis.existingSecretKey }}
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
{{ include "userforge.egressRule" (index $.Values.networkPolicy.egress $server) }}
{{- end }}
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
