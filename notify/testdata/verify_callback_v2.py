"""A merchant's v2 callback receiver, written from OPay's page alone
(doc.opaycheckout.com/callback-signature-v2), the way a merchant would in
Python with the standard library: the signature is the hex HMAC-SHA512, keyed
with the private key, of the RequestTimestamp header followed by the raw body.

Usage: python3 verify_callback_v2.py PRIVATE_KEY
It listens on a free loopback port, prints the port on the first line, then
one line per request: "accepted <notifyId>" (answered 200) or
"rejected <why>" (answered 401).
"""
import hashlib
import hmac
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

KEY = sys.argv[1].encode()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        timestamp = self.headers.get("RequestTimestamp", "")
        signature = self.headers.get("Signature") or self.headers.get("Authorization", "")
        expected = hmac.new(KEY, timestamp.encode() + body, hashlib.sha512).hexdigest()
        if not timestamp or not hmac.compare_digest(expected, signature.lower()):
            self.answer(401, "rejected bad signature")
            return
        event = json.loads(body)
        if event.get("type") != "MACQUIRING_CALLBACK":
            self.answer(400, "rejected type %s" % event.get("type"))
            return
        self.answer(200, "accepted %s" % event["notifyId"])

    def answer(self, status, line):
        print(line, flush=True)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
