// Play the customer of two orders on an opaygate sandbox with Node.js 20's built-ins (global
// fetch, node:crypto; docs/sandbox.md, "Play the customer from any language"): a checkout
// order paid with ValU, and an MWALLET payment declined with 51.
//
//   OPAY_BASE_URL=http://127.0.0.1:8080 node docs/examples/node/play_customer.mjs
import { createHmac } from "node:crypto";

const BASE = (process.env.OPAY_BASE_URL || "http://127.0.0.1:8080").replace(/\/+$/, "");
const MERCHANT = "256612345678901"; // the sandbox's demo merchant
const KEY = "OPAYPRV16357783346230.07653446106051542"; // its private key (a public documentation value)
const RUN = `node-${Date.now()}-${process.pid}`; // references are unique per merchant

// post sends body as JSON: signed, an API call (HMAC-SHA512 of the body under the private
// key); else the customer's side, with no signature and the sandbox token if it has one.
async function post(path, body, signed) {
  const data = JSON.stringify(body);
  const headers = { "Content-Type": "application/json" };
  if (signed) {
    headers.MerchantId = MERCHANT;
    headers.Authorization = "Bearer " + createHmac("sha512", KEY).update(data).digest("hex");
  } else if (process.env.OPAYGATE_SANDBOX_TOKEN) {
    headers.Authorization = "Bearer " + process.env.OPAYGATE_SANDBOX_TOKEN;
  }
  const resp = await fetch(BASE + path, { method: "POST", headers, body: data });
  const answer = await resp.json();
  if (answer.code !== "00000") {
    throw new Error(`${path}: ${answer.code} ${answer.message} ${resp.headers.get("X-Opaygate-Detail") || ""}`);
  }
  return answer.data;
}

const api = (path, body) => post(path, body, true);
const sandbox = (action, body) => post("/_sandbox/orders/" + action, body, false);

async function status(orderNo) {
  const d = await api("/api/v1/international/cashier/status", { orderNo, country: "EG" });
  return [d.status, d.failureCode].filter(Boolean).join(" ");
}

try {
  // 1. A checkout order; its customer chooses ValU and pays (plan and OTP are sandbox defaults).
  const { orderNo: valu } = await api("/api/v1/international/cashier/create", {
    reference: `${RUN}-valu`, country: "EG", amount: { total: 60000, currency: "EGP" },
    returnUrl: "https://shop.example/return", product: { name: "Phone", description: "A phone" },
  });
  await sandbox("pay", { orderNo: valu, payMethod: "VALU" });

  // 2. An MWALLET payment; the customer's wallet declines it with 51 (Insufficient funds).
  const created = await api("/api/v1/international/payment/create", {
    reference: `${RUN}-wallet`, country: "EG", payMethod: "MWALLET", walletAccount: "01012345678",
    amount: { total: 2500, currency: "EGP" }, product: { name: "Tea", description: "Green tea" },
  });
  if (created.nextAction?.actionType !== "SCAN_QR_CODE") throw new Error("payment/create: " + JSON.stringify(created));
  const wallet = created.orderNo;
  await sandbox("decline", { orderNo: wallet, failureCode: "51" });

  // 3. The merchant's view: cashier/status.
  const [gotValu, gotWallet] = [await status(valu), await status(wallet)];
  console.log(`node: VALU ${valu} ${gotValu}; MWALLET ${wallet} ${gotWallet}`);
  if (gotValu !== "SUCCESS" || gotWallet !== "FAIL 51") throw new Error("unexpected statuses");
} catch (err) {
  console.error(err.message);
  process.exit(1);
}
