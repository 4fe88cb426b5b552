#!/bin/sh
# Print accounts.conf user blocks for the agents of the given hosts, one password variable each:
#   deploy/nats/agent-users.sh node-04 node-05 >> my-agents.conf
# then paste them into the PRESAGE users list and set PRESAGE_AGENT_<HOST>_PASSWORD in the server's
# environment (host upper-cased, '-' becomes '_'). Host names: letters, digits, '-', '_'.
set -eu
[ "$#" -gt 0 ] || { echo "usage: $0 <host>..." >&2; exit 2; }
for h in "$@"; do
  case "$h" in
    *[!A-Za-z0-9_-]*|"") echo "$0: invalid host name '$h' (letters, digits, '-', '_')" >&2; exit 2 ;;
  esac
  var="PRESAGE_AGENT_$(printf '%s' "$h" | tr 'a-z-' 'A-Z_')_PASSWORD"
  cat <<BLOCK
      { user: agent-$h, password: \$$var,
        permissions: {
          publish: { allow: ["presage.v1.readings.$h", "presage.v1.health.$h", "presage.v1.events.$h", "\$JS.API.INFO", "\$JS.API.STREAM.INFO.PRESAGE_EVENTS", "\$JS.API.STREAM.INFO.PRESAGE_AUDIT"] }
          subscribe: { allow: ["_INBOX.presage.agent.$h.>", "presage.v1.commands.$h"] }
          allow_responses: true
        } }
BLOCK
done
