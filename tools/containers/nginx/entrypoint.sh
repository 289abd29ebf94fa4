#!/bin/sh
# The official image's template step: envsubst fills in only the variables that are set,
# so nginx's own $variables in a template stay as they are.
set -eu
templates=/etc/nginx/templates
suffix=${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}
output=${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}
defined=$(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/${\1}/p' | tr '\n' ' ')
for template in "$templates"/*"$suffix"; do
    [ -f "$template" ] || continue
    name=$(basename "$template" "$suffix")
    envsubst "$defined" <"$template" >"$output/$name"
    echo "$0: wrote $output/$name from $template"
done
exec "$@"
