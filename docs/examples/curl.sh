#!/usr/bin/env bash
# Play the customer of two orders on an opaygate sandbox with curl (docs/sandbox.md,
# "Play the customer from any language"): a checkout order paid with ValU, and an MWALLET
# payment declined with 51. Needs bash, curl and openssl.
#
#   OPAY_BASE_URL=http://127.0.0.1:8080 bash docs/examples/curl.sh
set -euo pipefail

BASE="${OPAY_BASE_URL:-http://127.0.0.1:8080}"
MERCHANT=256612345678901                        # the sandbox's demo merchant
KEY=OPAYPRV16357783346230.07653446106051542     # its private key (a public documentation value)
RUN="curl-$(date +%s)-$$"                       # references are unique per merchant

# api PATH BODY: a signed API call (HMAC-SHA512 of the body under the private key).
api() {
	local sig
	sig=$(printf '%s' "$2" | openssl dgst -sha512 -hmac "$KEY" | sed 's/^.* //')
	curl -sS -X POST "$BASE$1" -H 'Content-Type: application/json' \
		-H "MerchantId: $MERCHANT" -H "Authorization: Bearer $sig" -d "$2"
}

# sandbox ACTION BODY: the customer's side; no signature, the sandbox token if it has one.
sandbox() {
	local answer
	answer=$(curl -sS -X POST "$BASE/_sandbox/orders/$1" -H 'Content-Type: application/json' \
		${OPAYGATE_SANDBOX_TOKEN:+-H "Authorization: Bearer $OPAYGATE_SANDBOX_TOKEN"} -d "$2")
	case $answer in
	*'"code":"00000"'*) ;;
	*) echo "/_sandbox/orders/$1: $answer" >&2; exit 1 ;;
	esac
}

# field NAME: the first "NAME":"value" of the JSON on stdin.
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" | head -n1; }

# status ORDERNO: the order's status, and its failure code if any, as cashier/status says.
status() {
	local answer
	answer=$(api /api/v1/international/cashier/status "{\"orderNo\":\"$1\",\"country\":\"EG\"}")
	local code
	code=$(field failureCode <<<"$answer")
	echo "$(field status <<<"$answer")${code:+ $code}"
}

# 1. A checkout order; its customer chooses ValU and pays (plan and OTP are sandbox defaults).
created=$(api /api/v1/international/cashier/create \
	"{\"reference\":\"$RUN-valu\",\"country\":\"EG\",\"amount\":{\"total\":60000,\"currency\":\"EGP\"},\"returnUrl\":\"https://shop.example/return\",\"product\":{\"name\":\"Phone\",\"description\":\"A phone\"}}")
valu=$(field orderNo <<<"$created")
[ -n "$valu" ] || { echo "cashier/create failed: $created" >&2; exit 1; }
sandbox pay "{\"orderNo\":\"$valu\",\"payMethod\":\"VALU\"}"

# 2. An MWALLET payment; the customer's wallet declines it with 51 (Insufficient funds).
created=$(api /api/v1/international/payment/create \
	"{\"reference\":\"$RUN-wallet\",\"country\":\"EG\",\"payMethod\":\"MWALLET\",\"walletAccount\":\"01012345678\",\"amount\":{\"total\":2500,\"currency\":\"EGP\"},\"product\":{\"name\":\"Tea\",\"description\":\"Green tea\"}}")
wallet=$(field orderNo <<<"$created")
[ -n "$wallet" ] || { echo "payment/create failed: $created" >&2; exit 1; }
sandbox decline "{\"orderNo\":\"$wallet\",\"failureCode\":\"51\"}"

# 3. The merchant's view: cashier/status.
got_valu=$(status "$valu")
got_wallet=$(status "$wallet")
echo "curl: VALU $valu $got_valu; MWALLET $wallet $got_wallet"
[ "$got_valu" = "SUCCESS" ] && [ "$got_wallet" = "FAIL 51" ] || { echo "unexpected statuses" >&2; exit 1; }
