{{/*
Worker pools: one Deployment per verify or draft pool. (dict "root" $ "pool" <pool> "kind" "verify"|"draft")
kind picks the actor (verify-worker, draft-worker), its Secret (<p>-verifier, <p>-drafter: an enrollment
credential) and, for verifiers, Redis (the session journal).
*/}}

{{- define "specfleet.pool.actor" -}}{{ .kind }}-worker{{- end }}

{{- define "specfleet.pool.name" -}}
{{- include "specfleet.componentName" (dict "root" .root "component" (printf "%s-%s" .kind .pool.name)) }}
{{- end }}

{{- define "specfleet.pool.selectorLabels" -}}
{{ include "specfleet.selectorLabels" (dict "root" .root "component" (include "specfleet.pool.actor" .)) }}
specfleet.io/pool: {{ .pool.name }}
{{- end }}

{{- define "specfleet.pool.labels" -}}
{{ include "specfleet.labels" (dict "root" .root "component" (include "specfleet.pool.actor" .)) }}
specfleet.io/pool: {{ .pool.name }}
{{- end }}

{{/* The pool's variables (libs/config/src/services.ts worker, verify-worker, draft-worker). */}}
{{- define "specfleet.pool.env" -}}
{{- $root := .root }}
{{- $pool := .pool }}
{{- $model := $pool.model | default dict }}
{{- if not $model.uri }}
{{- fail (printf "%sPools[%s].model.uri: a GGUF path (under /models when model.volume is set) or an hf: URI" .kind $pool.name) }}
{{- end }}
{{- include "specfleet.commonEnv" $root }}
NATS_ENROLL_CREDS: /etc/specfleet/secrets/enroll.creds
HEALTH_PORT: {{ $root.Values.workers.healthPort | toString | quote }}
DRAIN_TIMEOUT_MS: {{ int64 $root.Values.workers.drainTimeoutMs | toString | quote }}
MODEL_PATH: {{ $model.uri | quote }}
MODEL_CACHE_DIR: /models-cache
MODEL_FETCH_TIMEOUT_MS: {{ int64 $root.Values.workers.modelFetchTimeoutMs | toString | quote }}
{{- with $model.name }}
MODEL_NAME: {{ . | quote }}
{{- end }}
DEVICE_CLASS: {{ $pool.deviceClass | default "cpu" | quote }}
LLAMA_GPU: {{ $pool.gpu | default "off" | quote }}
THREADS: {{ $pool.threads | default 1 | toString | quote }}
MAX_SESSIONS: {{ $pool.maxSessions | default 8 | toString | quote }}
CONTEXT_SIZE: {{ $pool.contextSize | default 512 | toString | quote }}
{{- /* One libuv thread: every decode runs on the same thread (ggml then keeps one team of threads). */}}
UV_THREADPOOL_SIZE: "1"
{{- if eq .kind "verify" }}
{{ include "specfleet.redisEnv" (dict "root" $root "role" "verifier") }}
{{- with $pool.selfDraft }}
SELF_DRAFT_MODEL: {{ .uri | quote }}
{{- with .threads }}
SELF_DRAFT_THREADS: {{ . | toString | quote }}
{{- end }}
{{- if hasKey . "window" }}
SELF_DRAFT_WINDOW: {{ .window | toString | quote }}
{{- end }}
{{- if hasKey . "maxWindow" }}
SELF_DRAFT_MAX_WINDOW: {{ .maxWindow | toString | quote }}
{{- end }}
{{- end }}
{{- else if $pool.selfDraft }}
{{- fail (printf "draftPools[%s].selfDraft: only a verify pool drafts for itself" $pool.name) }}
{{- end }}
{{- end }}

{{- define "specfleet.pool.configMap" -}}
{{- include "specfleet.envConfigMap" (dict "root" .root "component" (printf "%s-%s" .kind .pool.name) "labelComponent" (include "specfleet.pool.actor" .) "base" (include "specfleet.pool.env" .) "extra" (.pool.env | default dict)) }}
{{- end }}

{{- define "specfleet.pool.deployment" -}}
{{- $root := .root }}
{{- $pool := .pool }}
{{- $model := $pool.model | default dict }}
{{- $volume := $model.volume | default dict }}
{{- $cache := $model.cache | default dict }}
{{- $name := include "specfleet.pool.name" . }}
{{- $verifier := eq .kind "verify" }}
{{- $secret := include "specfleet.secretName" (dict "root" $root "name" (ternary "verifier" "drafter" $verifier)) }}
{{- $drainSeconds := div (add (int64 $root.Values.workers.drainTimeoutMs) 999) 1000 }}
{{- $healthPort := $root.Values.workers.healthPort }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "specfleet.pool.labels" . | nindent 4 }}
spec:
  replicas: {{ $pool.replicas | default 1 }}
  revisionHistoryLimit: 5
  # A new worker is ready before an old one drains: no capacity dip, and drained sessions have somewhere to go.
  strategy:
    type: RollingUpdate
    rollingUpdate: { maxSurge: 1, maxUnavailable: 0 }
  selector:
    matchLabels:
      {{- include "specfleet.pool.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "specfleet.pool.labels" . | nindent 8 }}
      annotations:
        checksum/config: {{ include "specfleet.pool.configMap" . | sha256sum }}
        checksum/secrets: {{ include "specfleet.secretsChecksum" (dict "root" $root "names" (list $secret)) }}
        {{- with $root.Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      {{- include "specfleet.podCommon" (dict "root" $root "spec" $pool) | nindent 6 }}
      {{- with $pool.runtimeClassName }}
      runtimeClassName: {{ . }}
      {{- end }}
      # preStop drains (up to DRAIN_TIMEOUT_MS + 5 s) before SIGTERM; the rest is room for leaving and exiting.
      terminationGracePeriodSeconds: {{ add $drainSeconds 30 }}
      containers:
        - name: {{ include "specfleet.pool.actor" . }}
          image: {{ include "specfleet.image" (dict "root" $root "image" $pool.image) }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args: ["serve", {{ include "specfleet.pool.actor" . | quote }}]
          ports:
            - { name: health, containerPort: {{ $healthPort }}, protocol: TCP }
          env:
            # The pod's name is the worker's identity: its enrolled NATS credential is issued for it.
            - name: WORKER_ID
              valueFrom:
                fieldRef: { fieldPath: metadata.name }
          envFrom:
            - configMapRef:
                name: {{ $name }}-env
          lifecycle:
            preStop:
              exec:
                # Waits up to DRAIN_TIMEOUT_MS (+ 5 s) for the worker's sessions to move.
                command: ["node", "/app/dist/cli/specfleet.js", "worker", "drain"]
          # A model download and load may take long: liveness and readiness start once /healthz answers.
          startupProbe:
            {{- include "specfleet.httpProbe" (dict "path" "/healthz" "port" "health" "period" 10 "failures" (div (int $root.Values.workers.startupTimeoutSeconds) 10)) | nindent 12 }}
          livenessProbe:
            {{- include "specfleet.httpProbe" (dict "path" "/healthz" "port" "health" "period" 10) | nindent 12 }}
          readinessProbe:
            {{- include "specfleet.httpProbe" (dict "path" "/readyz" "port" "health" "period" 5) | nindent 12 }}
          resources:
            {{- toYaml $pool.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            {{- include "specfleet.secretVolumeMounts" (dict "root" $root "redis" $verifier) | nindent 12 }}
            - { name: model-cache, mountPath: /models-cache }
            {{- if or $volume.existingClaim $volume.hostPath }}
            - { name: models, mountPath: /models, readOnly: true }
            {{- end }}
      volumes:
        {{- include "specfleet.secretVolumes" (dict "root" $root "secret" (ternary "verifier" "drafter" $verifier) "keys" (ternary (list "enroll.creds" "redis-password") (list "enroll.creds") $verifier) "redis" $verifier) | nindent 8 }}
        - name: model-cache
          {{- if $cache.existingClaim }}
          persistentVolumeClaim: { claimName: {{ $cache.existingClaim }} }
          {{- else }}
          emptyDir: { sizeLimit: {{ $cache.sizeLimit | default "20Gi" }} }
          {{- end }}
        {{- if $volume.existingClaim }}
        - name: models
          persistentVolumeClaim: { claimName: {{ $volume.existingClaim }}, readOnly: true }
        {{- else if $volume.hostPath }}
        - name: models
          hostPath: { path: {{ $volume.hostPath }}, type: Directory }
        {{- end }}
{{- end }}

{{- define "specfleet.pool.pdb" -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "specfleet.pool.name" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "specfleet.pool.labels" . | nindent 4 }}
spec:
  # Evictions one worker at a time: each drains (its sessions move) before the next goes.
  maxUnavailable: {{ .pool.pdbMaxUnavailable | default 1 }}
  selector:
    matchLabels:
      {{- include "specfleet.pool.selectorLabels" . | nindent 6 }}
{{- end }}
