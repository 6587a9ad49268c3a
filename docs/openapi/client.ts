// A typed opaygate client generated from the OpenAPI document (docs/OPENAPI.md): the types
// come from openapi-typescript, the calls from openapi-fetch. CI generates the types, compiles
// this file and runs it against a sandbox gateway:
//
//	node client.js http://127.0.0.1:8080
import { createHmac } from "node:crypto";
import createClient from "openapi-fetch";
import type { components, paths } from "./opaygate"; // generated: opaygate.d.ts

type NextAction = components["schemas"]["NextAction"];

// The documentation's demo merchant, which every sandbox has (docs/sandbox.md).
const merchantId = "256612345678901";
const privateKey = "OPAYPRV16357783346230.07653446106051542";

const baseUrl = process.argv[2] ?? "http://127.0.0.1:8080";
const client = createClient<paths>({ baseUrl });

// The signature covers the exact bytes sent, so the body is serialized once, here, and
// openapi-fetch sends that string as it is.
function signed<T>(body: T) {
  const raw = JSON.stringify(body);
  const signature = createHmac("sha512", privateKey).update(raw).digest("hex");
  return {
    body,
    bodySerializer: () => raw,
    headers: { MerchantId: merchantId, Authorization: `Bearer ${signature}` },
  };
}

// What a client does with nextAction: switch on actionType, and keep a way forward for the
// types it does not know (the document's OtherAction). Because OtherAction's actionType is any
// string, a case narrows to its type or OtherAction: the cast says which.
function describe(a: NextAction | undefined): string {
  if (!a) {
    return "nothing to do";
  }
  switch (a.actionType) {
    case "REDIRECT_3DS":
      return "send the customer to " + (a as components["schemas"]["Redirect3DSAction"]).redirectUrl;
    case "INPUT_OTP":
      return "ask the customer for the OTP";
    default:
      return `${a.actionType}: poll cashier/status`;
  }
}

async function main() {
  const reference = `openapi-example-${Date.now()}`;
  const created = await client.POST("/api/v1/international/cashier/create", signed({
    reference,
    country: "EG",
    amount: { total: 40000, currency: "EGP" },
    returnUrl: "https://merchant.example/return",
    product: { name: "Sneakers" },
  }));
  if (created.data?.code !== "00000" || !created.data.data) {
    throw new Error("cashier/create: " + JSON.stringify(created.data ?? created.error));
  }
  console.log("cashier/create:", created.data.data.orderNo, created.data.data.status, created.data.data.cashierUrl);

  const status = await client.POST("/api/v1/international/cashier/status", signed({
    orderNo: created.data.data.orderNo,
    country: "EG",
  }));
  const order = status.data?.data;
  if (status.data?.code !== "00000" || !order || order.reference !== reference) {
    throw new Error("cashier/status: " + JSON.stringify(status.data ?? status.error));
  }
  console.log("cashier/status:", order.status, order.amount.total, order.amount.currency);

  const card = await client.POST("/api/v1/international/payment/create", signed({
    reference: reference + "-card",
    country: "EG",
    amount: { total: 40000, currency: "EGP" },
    payMethod: "BankCard",
    product: { name: "Sneakers" },
    returnUrl: "https://merchant.example/return",
    bankcard: {
      cardHolderName: "Test", cardNumber: "4111111111111111", cvv: "123",
      expiryMonth: "12", expiryYear: "40", enable3DS: true,
    },
  }));
  if (card.data?.code !== "00000" || !card.data.data) {
    throw new Error("payment/create: " + JSON.stringify(card.data ?? card.error));
  }
  console.log("payment/create:", card.data.data.status, describe(card.data.data.nextAction));

  // A refusal: the envelope's data is null, and X-Opaygate-Detail says what was wrong.
  const refused = await client.POST("/api/v1/international/cashier/status", signed({ country: "EG" }));
  if (refused.data?.code !== "02001" || refused.data.data !== null) {
    throw new Error("want 02001 with data null: " + JSON.stringify(refused.data));
  }
  console.log("cashier/status without orderNo or reference:", refused.data.code, refused.data.message,
    "-", refused.response.headers.get("X-Opaygate-Detail"));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
