{{/*
The scheduler's and the registry's Deployment, a health listener on HEALTH_PORT for the probes.
The registry: one replica, Recreate so two never run at once (values.yaml says why). The scheduler
("rolling" true): `replicas` of it, one leading through its lease in Redis, so a rollout is rolling
(a new pod stands by until the old one gives the lease up).
(dict "root" $ "component" "scheduler" "values" .Values.scheduler "secretKeys" (list ...) ["replicas" n "rolling" true])
*/}}
{{- define "specfleet.controlPlaneDeployment" -}}
{{- $root := .root }}
{{- $name := include "specfleet.componentName" (dict "root" $root "component" .component) }}
{{- $secret := include "specfleet.secretName" (dict "root" $root "name" .component) }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "specfleet.labels" (dict "root" $root "component" .component) | nindent 4 }}
spec:
  replicas: {{ .replicas | default 1 }}
  revisionHistoryLimit: 5
  strategy:
    {{- if .rolling }}
    type: RollingUpdate
    rollingUpdate: { maxSurge: 1, maxUnavailable: 0 }
    {{- else }}
    type: Recreate
    {{- end }}
  selector:
    matchLabels:
      {{- include "specfleet.selectorLabels" (dict "root" $root "component" .component) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "specfleet.labels" (dict "root" $root "component" .component) | nindent 8 }}
      annotations:
        checksum/config: {{ .configChecksum }}
        checksum/secrets: {{ include "specfleet.secretsChecksum" (dict "root" $root "names" (list $secret)) }}
        {{- with $root.Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      {{- include "specfleet.podCommon" (dict "root" $root "spec" .values) | nindent 6 }}
      terminationGracePeriodSeconds: 30
      containers:
        - name: {{ .component }}
          image: {{ include "specfleet.image" (dict "root" $root) }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args: ["serve", {{ .component | quote }}]
          ports:
            - { name: health, containerPort: {{ .values.healthPort }}, protocol: TCP }
          envFrom:
            - configMapRef:
                name: {{ $name }}-env
          startupProbe:
            {{- include "specfleet.httpProbe" (dict "path" "/healthz" "port" "health" "period" 2 "failures" 60) | nindent 12 }}
          livenessProbe:
            {{- include "specfleet.httpProbe" (dict "path" "/healthz" "port" "health") | nindent 12 }}
          readinessProbe:
            {{- include "specfleet.httpProbe" (dict "path" "/readyz" "port" "health" "period" 5) | nindent 12 }}
          resources:
            {{- toYaml .values.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            {{- include "specfleet.secretVolumeMounts" (dict "root" $root "redis" true) | nindent 12 }}
      volumes:
        {{- include "specfleet.secretVolumes" (dict "root" $root "secret" .component "keys" .secretKeys "redis" true) | nindent 8 }}
{{- end }}

{{/* An actor's env ConfigMap: (dict "root" $ "component" "scheduler" "base" <YAML map> "extra" <env>). */}}
{{- define "specfleet.envConfigMap" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "specfleet.componentName" (dict "root" .root "component" .component) }}-env
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "specfleet.labels" (dict "root" .root "component" (.labelComponent | default .component)) | nindent 4 }}
data:
  {{- include "specfleet.envData" (dict "base" .base "extra" .extra) | trim | nindent 2 }}
{{- end }}
