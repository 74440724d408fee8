{{/* NetworkPolicy peers and ports shared by the policies in this folder. */}}

{{/* Pods of this release with one of the components: (dict "root" $ "components" (list ...)). */}}
{{- define "specfleet.np.components" -}}
- podSelector:
    matchLabels:
      {{- include "specfleet.releaseSelector" .root | nindent 6 }}
    matchExpressions:
      - { key: app.kubernetes.io/component, operator: In, values: {{ toJson .components }} }
{{- end }}

{{/* Anywhere (an edge device, an external server). */}}
{{- define "specfleet.np.anywhere" -}}
- ipBlock: { cidr: 0.0.0.0/0 }
- ipBlock: { cidr: "::/0" }
{{- end }}

{{- define "specfleet.np.cidrs" -}}
{{- range . }}
- ipBlock: { cidr: {{ . | quote }} }
{{- end }}
{{- end }}

{{/* The port of a URL (nats://host:4222), or the default given: (dict "url" ... "default" 4222). */}}
{{- define "specfleet.np.urlPort" -}}
{{- $host := (urlParse .url).host }}
{{- $port := regexFind ":[0-9]+$" $host | trimPrefix ":" }}
{{- $port | default .default }}
{{- end }}

{{/* Components that speak NATS and those that reach Redis (ARCHITECTURE invariant 7: never drafters). */}}
{{- define "specfleet.np.natsClients" -}}
{{- toJson (list "gateway" "scheduler" "registry" "dashboard" "verify-worker" "draft-worker") }}
{{- end }}
{{- define "specfleet.np.redisClients" -}}
{{- toJson (list "gateway" "scheduler" "registry" "verify-worker") }}
{{- end }}
