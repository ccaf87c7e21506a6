#!/usr/bin/env bash
# The core flow by hand against `make run` (README: "The core flow with curl").
# Base URLs default to the embedded stack; the e2e suite runs this same script.
set -euo pipefail
R=${REQUESTS_URL:-http://127.0.0.1:8001} B=${BALANCES_URL:-http://127.0.0.1:8002}
N=${NOTIFICATIONS_URL:-http://127.0.0.1:8003} C=${CALENDAR_URL:-http://127.0.0.1:8004}
HOOK=${WEBHOOK_URL:-http://127.0.0.1:9999/hook}
# An address that already runs a company cannot sign up another without the confirmation
# link the dashboard emails: for a second run, pick another, e.g. ADMIN_EMAIL=ada2@acme.test.
EMAIL=${ADMIN_EMAIL:-ada@acme.test}
json() { python3 -c "import json, sys; print(json.dumps(json.load(sys.stdin)$1))"; }
post() { curl -sf -X POST "$1" -H 'content-type: application/json' "${@:2}"; }
wait_for() {  # wait_for URL TOKEN PYTHON-EXPR EXPECTED: poll until the expression matches
  for _ in $(seq 50); do
    [ "$(curl -sf "$1" -H "authorization: Bearer $2" | json "$3")" = "$4" ] && return 0
    sleep 0.1
  done
  echo "timed out waiting for $3 == $4 at $1" >&2; return 1
}

# 1. Sign up a company: you become its admin.
SIGNUP=$(post $R/v1/tenants -d "{\"name\": \"Acme\", \"admin_name\": \"Ada Admin\",
  \"admin_email\": \"$EMAIL\", \"timezone\": \"Europe/Berlin\"}")
TENANT=$(echo "$SIGNUP" | json '["tenant_id"]' | tr -d '"')
ADMIN=$(echo "$SIGNUP" | json '["token"]' | tr -d '"')

# 2. A location, a leave type, its policy there (25 days a year, granted upfront), and an
#    employee who works at the location.
LOCATION=$(post $R/v1/locations -H "authorization: Bearer $ADMIN" \
  -d '{"name": "Berlin", "timezone": "Europe/Berlin", "workweek": [1, 2, 3, 4, 5]}' \
  | json '["id"]' | tr -d '"')
VACATION=$(post $R/v1/leave-types -H "authorization: Bearer $ADMIN" \
  -d '{"name": "Vacation"}' | json '["id"]' | tr -d '"')
curl -sf -X PUT $B/v1/policies/$LOCATION/$VACATION -H "authorization: Bearer $ADMIN" \
  -H 'content-type: application/json' \
  -d '{"annual_allowance": 25, "accrual": "upfront", "carryover_max": 5}' > /dev/null
ANA_ID=$(post $R/v1/employees -H "authorization: Bearer $ADMIN" \
  -d "{\"name\": \"Ana Lima\", \"email\": \"ana@acme.test\", \"role\": \"user\",
       \"location_id\": \"$LOCATION\", \"start_date\": \"2024-01-01\"}" \
  | json '["id"]' | tr -d '"')

# 3. Post decisions to a Slack incoming webhook (any URL that takes a JSON POST).
curl -sf -X PUT $N/v1/integrations/slack -H "authorization: Bearer $ADMIN" \
  -H 'content-type: application/json' \
  -d "{\"webhook_url\": \"$HOOK\", \"signing_secret\": \"change-me\"}" > /dev/null

# Requests learns the policy from balances' events (milliseconds): wait until it offers
# Vacation at the location, which the type's `location_ids` shows.
for _ in $(seq 50); do
  curl -sf $R/v1/leave-types/$VACATION -H "authorization: Bearer $ADMIN" \
    | grep -q "$LOCATION" && break
  sleep 0.1
done

# 4. Ana logs in and asks for Monday to Wednesday morning: 2.5 days.
ANA=$(post $R/v1/auth/dev-login -d "{\"tenant_id\": \"$TENANT\",
  \"email\": \"ana@acme.test\"}" | json '["token"]' | tr -d '"')
REQ=$(post $R/v1/leave-requests -H "authorization: Bearer $ANA" \
  -d "{\"leave_type_id\": \"$VACATION\", \"start_date\": \"2030-03-04\",
       \"end_date\": \"2030-03-06\", \"end_part\": \"am\"}" | json '["id"]' | tr -d '"')
# Balances reserves the days; the request moves from submitted to pending.
wait_for $R/v1/leave-requests/$REQ "$ANA" '["status"]' '"pending"'
echo "request $REQ is pending"

# 5. The admin approves; the balance, who's off and the delivery log follow.
post $R/v1/leave-requests/$REQ/approve -H "authorization: Bearer $ADMIN" \
  -d '{"note": "enjoy"}' | json '["status"]'
# Leave counts in its own leave year: ask for the balance as of a day in 2030.
wait_for "$B/v1/balances/$ANA_ID?as_of=2030-03-04" "$ANA" '["balances"][0]["used"]' '2.5'
curl -sf "$B/v1/balances/$ANA_ID?as_of=2030-03-04" -H "authorization: Bearer $ANA" | json '["balances"][0]'
curl -sf "$C/v1/whos-off?from=2030-03-04&to=2030-03-08" -H "authorization: Bearer $ANA" \
  | json '["items"]'
curl -sf $N/v1/deliveries -H "authorization: Bearer $ADMIN" | json '["items"]'
