"""Play the customer of two orders on an opaygate sandbox with Python's standard library
(docs/sandbox.md, "Play the customer from any language"): a checkout order paid with ValU,
and an MWALLET payment declined with 51.

    OPAY_BASE_URL=http://127.0.0.1:8080 python3 docs/examples/python/play_customer.py
"""

import hashlib
import hmac
import json
import os
import sys
import time
import urllib.request

BASE = os.environ.get("OPAY_BASE_URL", "http://127.0.0.1:8080").rstrip("/")
MERCHANT = "256612345678901"  # the sandbox's demo merchant
KEY = "OPAYPRV16357783346230.07653446106051542"  # its private key (a public documentation value)
RUN = f"python-{int(time.time())}-{os.getpid()}"  # references are unique per merchant


def post(path, body, signed):
    """POSTs body as JSON: signed, an API call (HMAC-SHA512 of the body under the private
    key); else the customer's side, with no signature and the sandbox token if it has one."""
    data = json.dumps(body, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json"}
    if signed:
        headers["MerchantId"] = MERCHANT
        headers["Authorization"] = "Bearer " + hmac.new(KEY.encode(), data, hashlib.sha512).hexdigest()
    elif os.environ.get("OPAYGATE_SANDBOX_TOKEN"):
        headers["Authorization"] = "Bearer " + os.environ["OPAYGATE_SANDBOX_TOKEN"]
    req = urllib.request.Request(BASE + path, data=data, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=30) as resp:
        answer = json.load(resp)
        detail = resp.headers.get("X-Opaygate-Detail", "")
    if answer["code"] != "00000":
        sys.exit(f"{path}: {answer['code']} {answer['message']} {detail}")
    return answer["data"]


def api(path, body):
    return post(path, body, signed=True)


def sandbox(action, body):
    return post("/_sandbox/orders/" + action, body, signed=False)


def status(order_no):
    d = api("/api/v1/international/cashier/status", {"orderNo": order_no, "country": "EG"})
    return (d["status"] + " " + d.get("failureCode", "")).strip()


# 1. A checkout order; its customer chooses ValU and pays (plan and OTP are sandbox defaults).
valu = api("/api/v1/international/cashier/create", {
    "reference": RUN + "-valu", "country": "EG", "amount": {"total": 60000, "currency": "EGP"},
    "returnUrl": "https://shop.example/return", "product": {"name": "Phone", "description": "A phone"},
})["orderNo"]
sandbox("pay", {"orderNo": valu, "payMethod": "VALU"})

# 2. An MWALLET payment; the customer's wallet declines it with 51 (Insufficient funds).
created = api("/api/v1/international/payment/create", {
    "reference": RUN + "-wallet", "country": "EG", "payMethod": "MWALLET", "walletAccount": "01012345678",
    "amount": {"total": 2500, "currency": "EGP"}, "product": {"name": "Tea", "description": "Green tea"},
})
if created["nextAction"]["actionType"] != "SCAN_QR_CODE":
    sys.exit(f"payment/create: {created}")
wallet = created["orderNo"]
sandbox("decline", {"orderNo": wallet, "failureCode": "51"})

# 3. The merchant's view: cashier/status.
got_valu, got_wallet = status(valu), status(wallet)
print(f"python: VALU {valu} {got_valu}; MWALLET {wallet} {got_wallet}")
if got_valu != "SUCCESS" or got_wallet != "FAIL 51":
    sys.exit("unexpected statuses")
