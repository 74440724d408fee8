{{/* Names ------------------------------------------------------------------------------------- */}}

{{- define "specfleet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The prefix of every object's name: <release>-<chart>, or the release when it holds the chart's name. */}}
{{- define "specfleet.fullname" -}}
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

{{/* A component's object name: (dict "root" $ "component" "gateway"). */}}
{{- define "specfleet.componentName" -}}
{{- printf "%s-%s" (include "specfleet.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "specfleet.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels: (dict "root" $ "component" "gateway"). */}}
{{- define "specfleet.labels" -}}
helm.sh/chart: {{ include "specfleet.chart" .root }}
{{ include "specfleet.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: specfleet
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "specfleet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "specfleet.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Selects every pod of the release (NetworkPolicies). */}}
{{- define "specfleet.releaseSelector" -}}
app.kubernetes.io/name: {{ include "specfleet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Secrets -------------------------------------------------------------------------------------- */}}

{{/* The name of a Secret `specfleet secrets init` makes: (dict "root" $ "name" "gateway") -> <p>-gateway. */}}
{{- define "specfleet.secretName" -}}
{{- $prefix := .root.Values.secrets.prefix | default (include "specfleet.fullname" .root) }}
{{- printf "%s-%s" $prefix .name }}
{{- end }}

{{- define "specfleet.natsTlsSecret" -}}
{{- .Values.nats.tls.secretName | default (include "specfleet.secretName" (dict "root" . "name" "nats-tls")) }}
{{- end }}

{{/*
A checksum of Secrets as the cluster holds them (empty under `helm template`): a `helm upgrade` after
`specfleet secrets init` wrote new ones rolls the pods that read them. (dict "root" $ "names" (list ...)).
*/}}
{{- define "specfleet.secretsChecksum" -}}
{{- $data := dict }}
{{- range .names }}
{{- $secret := lookup "v1" "Secret" $.root.Release.Namespace . }}
{{- $_ := set $data . (($secret).data | default dict) }}
{{- end }}
{{- toJson $data | sha256sum }}
{{- end }}

{{/* Images ---------------------------------------------------------------------------------------- */}}

{{/* The SpecFleet image: (dict "root" $ "image" <override or nil>). Refuses `latest`. */}}
{{- define "specfleet.image" -}}
{{- $image := mergeOverwrite (deepCopy .root.Values.image) (.image | default dict) }}
{{- $tag := $image.tag | default .root.Chart.AppVersion | toString }}
{{- if eq $tag "latest" }}
{{- fail "image.tag: `latest` is not allowed (pin a version, e.g. the chart's appVersion)" }}
{{- end }}
{{- if $image.digest }}
{{- printf "%s@%s" $image.repository $image.digest }}
{{- else }}
{{- printf "%s:%s" $image.repository $tag }}
{{- end }}
{{- end }}

{{/* A third-party image (nats, redis): (dict "image" .Values.nats.image "what" "nats.image"). */}}
{{- define "specfleet.pinnedImage" -}}
{{- if or (not .image.tag) (eq (toString .image.tag) "latest") }}
{{- fail (printf "%s.tag: pin a version (never latest)" .what) }}
{{- end }}
{{- printf "%s:%s" .image.repository (toString .image.tag) }}
{{- end }}

{{/* Where actors reach NATS and Redis ------------------------------------------------------------- */}}

{{- define "specfleet.natsInCluster" -}}
{{- if not .Values.nats.external.url }}true{{ end }}
{{- end }}

{{- define "specfleet.redisInCluster" -}}
{{- if not .Values.redis.external.url }}true{{ end }}
{{- end }}

{{- define "specfleet.natsUrl" -}}
{{- if .Values.nats.external.url }}
{{- .Values.nats.external.url }}
{{- else }}
{{- printf "%s://%s:%d" (ternary "tls" "nats" .Values.nats.tls.enabled) (include "specfleet.componentName" (dict "root" . "component" "nats")) (int .Values.nats.port) }}
{{- end }}
{{- end }}

{{- define "specfleet.redisUrl" -}}
{{- if .Values.redis.external.url }}
{{- .Values.redis.external.url }}
{{- else }}
{{- printf "redis://%s:%d" (include "specfleet.componentName" (dict "root" . "component" "redis")) (int .Values.redis.port) }}
{{- end }}
{{- end }}

{{/* Environment ----------------------------------------------------------------------------------- */}}

{{/* Variables every actor takes (libs/config/src/services.ts `common`), as a YAML map. */}}
{{- define "specfleet.commonEnv" -}}
NATS_URL: {{ include "specfleet.natsUrl" . | quote }}
{{- if .Values.nats.tls.enabled }}
NATS_TLS_CA: /etc/specfleet/tls/ca.crt
{{- end }}
LOG_LEVEL: {{ .Values.logLevel | quote }}
METRICS_REPORT_MS: {{ .Values.metrics.reportMs | toString | quote }}
{{- with .Values.tracing.otlpEndpoint }}
OTEL_EXPORTER_OTLP_ENDPOINT: {{ . | quote }}
{{- end }}
TRACING_SAMPLE_RATIO: {{ .Values.tracing.sampleRatio | toString | quote }}
{{- end }}

{{/* How a role reaches Redis (libs/config/src/redis.ts): (dict "root" $ "role" "gateway"). */}}
{{/* A control-plane actor's own NATS credential (workers enroll for theirs instead). */}}
{{- define "specfleet.credsEnv" -}}
NATS_CREDS: /etc/specfleet/secrets/nats.creds
{{- end }}

{{- define "specfleet.redisEnv" -}}
REDIS_URL: {{ include "specfleet.redisUrl" .root | quote }}
REDIS_USERNAME: {{ .role | quote }}
REDIS_PASSWORD_FILE: /etc/specfleet/secrets/redis-password
{{- if .root.Values.redis.external.tlsCaSecret }}
REDIS_TLS_CA: /etc/specfleet/redis-tls/ca.crt
{{- end }}
{{- end }}

{{/*
An actor's ConfigMap data: the chart's variables, then the user's `env` (its values win), all strings.
(dict "base" <YAML map text> "extra" <values env map>).
*/}}
{{- define "specfleet.envData" -}}
{{- $env := fromYaml .base }}
{{- range $name, $value := .extra }}
{{- $_ := set $env $name (toString $value) }}
{{- end }}
{{- range $name := keys $env | sortAlpha }}
{{ $name }}: {{ get $env $name | toString | quote }}
{{- end }}
{{- end }}

{{/* Pods ------------------------------------------------------------------------------------------ */}}

{{/* Volumes of an actor's Secret (only the keys it reads), the NATS CA, Redis's CA and /tmp: (dict "root" $ "secret" "gateway" "keys" (list ...) "redis" bool). */}}
{{- define "specfleet.secretVolumes" -}}
- name: secrets
  secret:
    secretName: {{ include "specfleet.secretName" (dict "root" .root "name" .secret) }}
    defaultMode: 0440
    items:
      {{- range .keys }}
      - { key: {{ . }}, path: {{ . }} }
      {{- end }}
{{- if .root.Values.nats.tls.enabled }}
- name: nats-ca
  secret:
    secretName: {{ include "specfleet.natsTlsSecret" .root }}
    defaultMode: 0444
    items:
      - { key: ca.crt, path: ca.crt }
{{- end }}
{{- if and .redis .root.Values.redis.external.tlsCaSecret }}
- name: redis-ca
  secret:
    secretName: {{ .root.Values.redis.external.tlsCaSecret }}
    defaultMode: 0444
    items:
      - { key: ca.crt, path: ca.crt }
{{- end }}
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
{{- end }}

{{- define "specfleet.secretVolumeMounts" -}}
- { name: secrets, mountPath: /etc/specfleet/secrets, readOnly: true }
{{- if .root.Values.nats.tls.enabled }}
- { name: nats-ca, mountPath: /etc/specfleet/tls, readOnly: true }
{{- end }}
{{- if and .redis .root.Values.redis.external.tlsCaSecret }}
- { name: redis-ca, mountPath: /etc/specfleet/redis-tls, readOnly: true }
{{- end }}
- { name: tmp, mountPath: /tmp }
{{- end }}

{{/* The pod-level fields every SpecFleet pod shares: (dict "root" $ "spec" <actor values>). */}}
{{- define "specfleet.podCommon" -}}
automountServiceAccountToken: false
enableServiceLinks: false
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .spec.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .spec.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .spec.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* An HTTP probe: (dict "path" "/healthz" "port" "health" "period" 10 "failures" 3). */}}
{{- define "specfleet.httpProbe" -}}
httpGet:
  path: {{ .path }}
  port: {{ .port }}
{{- with .scheme }}
  scheme: {{ . }}
{{- end }}
periodSeconds: {{ .period | default 10 }}
timeoutSeconds: {{ .timeout | default 3 }}
failureThreshold: {{ .failures | default 3 }}
{{- end }}
