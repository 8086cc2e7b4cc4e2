// SePay checkout forms as the official Node SDK (sepay-pg-node, pinned in package.json) builds them,
// for crates/provider-sepay/tests/checkout_peer.rs.
//
// stdin: a JSON array of cases
//   { merchant_id, secret_key, env: "sandbox" | "production",
//     order: { currency, order_amount (number), operation, order_description, payment_method?,
//              order_invoice_number, customer_id?, success_url?, error_url?, cancel_url?, custom_data? } }
// stdout: a JSON array, one entry per case: { action_url, fields: [[name, value], ...] } with the
// fields in the order the SDK returns them (its form posts them in that order) and each value as
// the browser posts it (String(value)).
//
// Only the SDK computes: the URL (client.checkout.initCheckoutUrl()), the merchant field, the
// default operation, which fields are signed, their order and the signature
// (client.checkout.initOneTimePaymentFields()). The SDK signs the caller's object in its key order,
// so this script passes the keys in the order the PHP SDK (and the issue) post them:
//   merchant, currency, order_amount, operation, order_description, payment_method,
//   order_invoice_number, customer_id, success_url, error_url, cancel_url, custom_data.
// `merchant` is passed as a placeholder (undefined) so that the SDK fills it in from its config at
// that position; without the key the SDK would append merchant last.
// A key whose value is null or missing in the input is not passed at all (the SDK skips only
// undefined; an empty string would be signed as `key=`).
'use strict';

const { SePayPgClient } = require('sepay-pg-node');

const ORDER = [
  'currency',
  'order_amount',
  'operation',
  'order_description',
  'payment_method',
  'order_invoice_number',
  'customer_id',
  'success_url',
  'error_url',
  'cancel_url',
  'custom_data',
];

function readStdin() {
  return require('fs').readFileSync(0, 'utf8');
}

const cases = JSON.parse(readStdin());
const out = cases.map((c) => {
  const client = new SePayPgClient({ env: c.env, merchant_id: c.merchant_id, secret_key: c.secret_key });
  // baseCheckoutUrl is a static of SePayPgClient: read it right after this client set it.
  const action_url = client.checkout.initCheckoutUrl();
  const input = { merchant: undefined };
  for (const key of ORDER) {
    const value = c.order[key];
    if (value !== undefined && value !== null) input[key] = value;
  }
  const result = client.checkout.initOneTimePaymentFields(input);
  const fields = Object.keys(result)
    .filter((k) => result[k] !== undefined)
    .map((k) => [k, String(result[k])]);
  return { action_url, fields };
});
process.stdout.write(JSON.stringify(out));
