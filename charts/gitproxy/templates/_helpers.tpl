{{/*
Name of the chart, for the app.kubernetes.io/name label.
*/}}
{{- define "gitproxy.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified name of the release's objects (release name + chart name, 63 characters at most).
*/}}
{{- define "gitproxy.fullname" -}}
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

{{/*
A name derived from the full name with a suffix, still within 63 characters.
*/}}
{{- define "gitproxy.suffixed" -}}
{{- $base := include "gitproxy.fullname" .root | trunc (int (sub 62 (len .suffix))) | trimSuffix "-" }}
{{- printf "%s-%s" $base .suffix }}
{{- end }}

{{- define "gitproxy.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels. `app: gitproxy` is what the integration guide's kubectl commands select on.
*/}}
{{- define "gitproxy.selectorLabels" -}}
app: gitproxy
app.kubernetes.io/name: {{ include "gitproxy.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels of every object.
*/}}
{{- define "gitproxy.labels" -}}
helm.sh/chart: {{ include "gitproxy.chart" . }}
{{ include "gitproxy.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: agent
app.kubernetes.io/part-of: backline
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "gitproxy.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "gitproxy.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The image reference: a digest wins over the tag; the tag defaults to the chart's appVersion.
*/}}
{{- define "gitproxy.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
Names of the Secrets the chart creates.
*/}}
{{- define "gitproxy.accessKeySecretName" -}}
{{- if .Values.gitproxy.existingSecret.name }}
{{- .Values.gitproxy.existingSecret.name }}
{{- else }}
{{- include "gitproxy.suffixed" (dict "root" . "suffix" "access-key") }}
{{- end }}
{{- end }}

{{- define "gitproxy.accessKeySecretKey" -}}
{{- if .Values.gitproxy.existingSecret.name }}
{{- .Values.gitproxy.existingSecret.key }}
{{- else -}}
accessKey
{{- end }}
{{- end }}

{{- define "gitproxy.proxySecretName" -}}
{{- include "gitproxy.suffixed" (dict "root" . "suffix" "proxy") }}
{{- end }}

{{/*
proxy.noProxy as one comma-separated string, whether it was given as a string or a list.
*/}}
{{- define "gitproxy.noProxy" -}}
{{- if kindIs "slice" .Values.proxy.noProxy }}
{{- join "," .Values.proxy.noProxy }}
{{- else }}
{{- .Values.proxy.noProxy | toString | nospace }}
{{- end }}
{{- end }}

{{- define "gitproxy.proxyEnabled" -}}
{{- if or .Values.proxy.httpProxy .Values.proxy.httpsProxy }}true{{ end }}
{{- end }}

{{/*
The ports of a list of http(s) URLs (empty ones skipped), as a JSON list without repeats: the explicit port of
each URL, else 80 for http:// and 443 for https://.
*/}}
{{- define "gitproxy.urlPorts" -}}
{{- $ports := list }}
{{- range $url := . }}
{{- if $url }}
{{- $parsed := urlParse $url }}
{{- $port := regexFind ":[0-9]+$" $parsed.host | trimPrefix ":" }}
{{- if $port }}
{{- $ports = append $ports ($port | int) }}
{{- else if eq $parsed.scheme "https" }}
{{- $ports = append $ports 443 }}
{{- else }}
{{- $ports = append $ports 80 }}
{{- end }}
{{- end }}
{{- end }}
{{- $ports | uniq | toJson }}
{{- end }}

{{/*
The ports of the proxies in proxy.httpProxy / proxy.httpsProxy, as a JSON list.
*/}}
{{- define "gitproxy.proxyPorts" -}}
{{- include "gitproxy.urlPorts" (list .Values.proxy.httpProxy .Values.proxy.httpsProxy) }}
{{- end }}

{{/*
The registries that are set, as a JSON list of [ecosystem, value key, URL], in the order npm, crates.io, PyPI,
Go, Maven, NuGet, RubyGems, Packagist. The ecosystem is spelled as GITPROXY_REGISTRIES wants it.
*/}}
{{- define "gitproxy.registryList" -}}
{{- $r := .Values.registries | default dict }}
{{- $set := list }}
{{- range list (list "npm" "npm") (list "crates.io" "cratesIo") (list "PyPI" "pypi") (list "Go" "go") (list "Maven" "maven") (list "NuGet" "nuget") (list "RubyGems" "rubygems") (list "Packagist" "packagist") }}
{{- $url := index $r (index . 1) }}
{{- if $url }}
{{- $set = append $set (list (index . 0) (index . 1) $url) }}
{{- end }}
{{- end }}
{{- $set | toJson }}
{{- end }}

{{/*
GITPROXY_REGISTRIES: the registries that are set as comma-separated ECOSYSTEM=URL entries; empty when none is.
*/}}
{{- define "gitproxy.registries" -}}
{{- $entries := list }}
{{- range include "gitproxy.registryList" . | fromJsonArray }}
{{- $entries = append $entries (printf "%s=%s" (index . 0) (index . 2)) }}
{{- end }}
{{- join "," $entries }}
{{- end }}

{{/*
The ports of the registries that are set, as a JSON list.
*/}}
{{- define "gitproxy.registryPorts" -}}
{{- $urls := list }}
{{- range include "gitproxy.registryList" . | fromJsonArray }}
{{- $urls = append $urls (index . 2) }}
{{- end }}
{{- include "gitproxy.urlPorts" $urls }}
{{- end }}

{{/*
GITPROXY_CI_SERVERS: the CI servers that are set as comma-separated KIND=URL entries; empty when none is.
*/}}
{{- define "gitproxy.ciServers" -}}
{{- $c := .Values.ciServers | default dict }}
{{- $entries := list }}
{{- with $c.jenkins }}{{ $entries = append $entries (printf "jenkins=%s" .) }}{{ end }}
{{- with $c.bamboo }}{{ $entries = append $entries (printf "bamboo=%s" .) }}{{ end }}
{{- join "," $entries }}
{{- end }}

{{/*
The ports of the CI servers that are set, as a JSON list.
*/}}
{{- define "gitproxy.ciServerPorts" -}}
{{- $c := .Values.ciServers | default dict }}
{{- include "gitproxy.urlPorts" (list $c.jenkins $c.bamboo) }}
{{- end }}

{{/*
Cross-field rules that values.schema.json cannot express. Each failure says what to set.
*/}}
{{- define "gitproxy.validate" -}}
{{- $g := .Values.gitproxy }}
{{- if and (not ($g.accessKey | trim)) (not $g.existingSecret.name) }}
{{- fail "gitproxy.accessKey is required: set it with --set gitproxy.accessKey=<key from the Backline integration page>, or name an existing Secret with --set gitproxy.existingSecret.name=<secret>" }}
{{- end }}
{{- if regexMatch "\\s" ($g.accessKey | trim) }}
{{- fail "gitproxy.accessKey contains whitespace: copy the key again from the Backline integration page, on one line" }}
{{- end }}
{{- if and $g.accessKey $g.existingSecret.name }}
{{- fail "gitproxy.accessKey and gitproxy.existingSecret.name are both set: keep only one of them" }}
{{- end }}
{{- if .Values.customCaCert }}
{{- $pem := .Values.customCaCert | trim | b64dec }}
{{- if not (contains "-----BEGIN CERTIFICATE-----" $pem) }}
{{- fail "customCaCert does not decode to a PEM certificate: encode the CA file on one line with `base64 -w0 ca.pem > ca.b64` and pass --set-file customCaCert=ca.b64" }}
{{- end }}
{{- end }}
{{- range include "gitproxy.registryList" . | fromJsonArray }}
{{- $port := regexFind ":[0-9]+$" (urlParse (index . 2)).host | trimPrefix ":" }}
{{- if and $port (or (lt ($port | int) 1) (gt ($port | int) 65535)) }}
{{- fail (printf "registries.%s names port %s: a port is 1 to 65535, or leave it out for 443 (https://) or 80 (http://)" (index . 1) $port) }}
{{- end }}
{{- end }}
{{- $pdb := .Values.podDisruptionBudget }}
{{- if and $pdb.enabled (gt (int .Values.replicaCount) 1) (not (kindIs "string" $pdb.minAvailable)) (ge (int $pdb.minAvailable) (int .Values.replicaCount)) }}
{{- fail (printf "podDisruptionBudget.minAvailable (%d) must be below replicaCount (%d), otherwise node drains block forever: lower it or add replicas" (int $pdb.minAvailable) (int .Values.replicaCount)) }}
{{- end }}
{{- if and .Values.advisories.store.existingClaim (gt (int .Values.replicaCount) 1) }}
{{- fail (printf "advisories.store.existingClaim needs replicaCount 1 (found %d): one pod writes the advisory store; set replicaCount=1, or leave existingClaim empty so each pod keeps its own store in an emptyDir" (int .Values.replicaCount)) }}
{{- end }}
{{- if ge (int $g.shutdownGraceSeconds) (int .Values.terminationGracePeriodSeconds) }}
{{- fail (printf "gitproxy.shutdownGraceSeconds (%d) must be below terminationGracePeriodSeconds (%d): lower the first or raise the second" (int $g.shutdownGraceSeconds) (int .Values.terminationGracePeriodSeconds)) }}
{{- end }}
{{- end }}
