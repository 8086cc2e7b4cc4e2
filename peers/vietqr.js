// Peer for crates/gateway-vietqr/tests/peer.rs: builds and decodes VietQR strings with the
// independent `vietnam-qr-pay` package (pinned in package.json).
//
// stdin:  a JSON array of cases, each either
//           {"build": {"bankBin": "970436", "bankNumber": "0011001932418",
//                      "amount": "50000", "purpose": "Thanh toan", "service": "QRIBFTTA",
//                      "initMethod": "12"}}                (every field but bankBin/bankNumber optional)
//         or {"decode": "000201..."}
// stdout: a JSON array, one entry per case, in order:
//           build  -> the string QRPay.initVietQR(options).build() returns
//           decode -> {"isValid", "version", "initMethod", "guid", "service", "bankBin",
//                      "bankNumber", "amount", "currency", "nation", "purpose", "crc"}
//                     (absent fields as null)
'use strict';

const { QRPay } = require('vietnam-qr-pay');

function build(options) {
  // Pass only what the case sets: initVietQR treats a missing amount/purpose as "leave it out".
  const init = { bankBin: options.bankBin, bankNumber: options.bankNumber };
  for (const key of ['amount', 'purpose', 'service', 'initMethod']) {
    if (options[key] !== undefined && options[key] !== null) init[key] = options[key];
  }
  return QRPay.initVietQR(init).build();
}

function decode(content) {
  const qr = new QRPay(content);
  const or = (v) => (v === undefined ? null : v);
  return {
    isValid: qr.isValid,
    version: or(qr.version),
    initMethod: or(qr.initMethod),
    guid: or(qr.provider.guid),
    service: or(qr.provider.service),
    bankBin: or(qr.consumer.bankBin),
    bankNumber: or(qr.consumer.bankNumber),
    amount: or(qr.amount),
    currency: or(qr.currency),
    nation: or(qr.nation),
    purpose: or(qr.additionalData.purpose),
    crc: or(qr.crc),
  };
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', () => {
  const cases = JSON.parse(input);
  if (!Array.isArray(cases)) throw new Error('expected a JSON array of cases');
  const out = cases.map((c, i) => {
    if (c && typeof c.build === 'object') return build(c.build);
    if (c && typeof c.decode === 'string') return decode(c.decode);
    throw new Error(`case ${i}: expected {"build": {...}} or {"decode": "..."}`);
  });
  process.stdout.write(JSON.stringify(out));
});
