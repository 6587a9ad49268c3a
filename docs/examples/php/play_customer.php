<?php
// Play the customer of two orders on an opaygate sandbox with PHP's CLI (docs/sandbox.md,
// "Play the customer from any language"): a checkout order paid with ValU, and an MWALLET
// payment declined with 51. Needs only php-cli: no curl extension, no Composer.
//
//   OPAY_BASE_URL=http://127.0.0.1:8080 php docs/examples/php/play_customer.php

$base = rtrim(getenv('OPAY_BASE_URL') ?: 'http://127.0.0.1:8080', '/');
const MERCHANT = '256612345678901';                        // the sandbox's demo merchant
const KEY = 'OPAYPRV16357783346230.07653446106051542';     // its private key (a public documentation value)
$run = 'php-' . time() . '-' . getmypid();                 // references are unique per merchant

// post sends $body as JSON: $signed, an API call (HMAC-SHA512 of the body under the private
// key); else the customer's side, with no signature and the sandbox token if it has one.
function post(string $path, array $body, bool $signed): array
{
    global $base;
    $data = json_encode($body, JSON_UNESCAPED_SLASHES);
    $headers = ['Content-Type: application/json'];
    if ($signed) {
        $headers[] = 'MerchantId: ' . MERCHANT;
        $headers[] = 'Authorization: Bearer ' . hash_hmac('sha512', $data, KEY);
    } elseif (getenv('OPAYGATE_SANDBOX_TOKEN')) {
        $headers[] = 'Authorization: Bearer ' . getenv('OPAYGATE_SANDBOX_TOKEN');
    }
    $context = stream_context_create(['http' => [
        'method' => 'POST', 'header' => implode("\r\n", $headers), 'content' => $data,
        'timeout' => 30, 'ignore_errors' => true,
    ]]);
    $raw = file_get_contents($base . $path, false, $context);
    $answer = json_decode($raw === false ? 'null' : $raw, true);
    if (!is_array($answer) || ($answer['code'] ?? '') !== '00000') {
        $detail = '';
        foreach ($http_response_header ?? [] as $h) {
            if (stripos($h, 'X-Opaygate-Detail:') === 0) {
                $detail = trim(substr($h, 18));
            }
        }
        fwrite(STDERR, "$path: " . ($answer['code'] ?? 'no answer') . ' ' . ($answer['message'] ?? '') . " $detail\n");
        exit(1);
    }
    return $answer['data'] ?? [];
}

function api(string $path, array $body): array { return post($path, $body, true); }

function sandbox(string $action, array $body): array { return post('/_sandbox/orders/' . $action, $body, false); }

function status(string $orderNo): string
{
    $d = api('/api/v1/international/cashier/status', ['orderNo' => $orderNo, 'country' => 'EG']);
    return trim($d['status'] . ' ' . ($d['failureCode'] ?? ''));
}

// 1. A checkout order; its customer chooses ValU and pays (plan and OTP are sandbox defaults).
$valu = api('/api/v1/international/cashier/create', [
    'reference' => "$run-valu", 'country' => 'EG', 'amount' => ['total' => 60000, 'currency' => 'EGP'],
    'returnUrl' => 'https://shop.example/return', 'product' => ['name' => 'Phone', 'description' => 'A phone'],
])['orderNo'];
sandbox('pay', ['orderNo' => $valu, 'payMethod' => 'VALU']);

// 2. An MWALLET payment; the customer's wallet declines it with 51 (Insufficient funds).
$created = api('/api/v1/international/payment/create', [
    'reference' => "$run-wallet", 'country' => 'EG', 'payMethod' => 'MWALLET', 'walletAccount' => '01012345678',
    'amount' => ['total' => 2500, 'currency' => 'EGP'], 'product' => ['name' => 'Tea', 'description' => 'Green tea'],
]);
if (($created['nextAction']['actionType'] ?? '') !== 'SCAN_QR_CODE') {
    fwrite(STDERR, 'payment/create: ' . json_encode($created) . "\n");
    exit(1);
}
$wallet = $created['orderNo'];
sandbox('decline', ['orderNo' => $wallet, 'failureCode' => '51']);

// 3. The merchant's view: cashier/status.
$gotValu = status($valu);
$gotWallet = status($wallet);
echo "php: VALU $valu $gotValu; MWALLET $wallet $gotWallet\n";
if ($gotValu !== 'SUCCESS' || $gotWallet !== 'FAIL 51') {
    fwrite(STDERR, "unexpected statuses\n");
    exit(1);
}
