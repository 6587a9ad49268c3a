// Package opay is a client for OPay Checkout's international merchant API, usable unchanged
// against OPay itself or against an opaygate gateway. It holds the contract's signing rules —
// request signatures and callback signatures — so the gateway and the merchants' code share one
// implementation of them.
//
// It imports only the standard library and no other opaygate package, so a merchant can depend
// on it alone.
//
// # Calling the API
//
// Make one Client per merchant and share it; every method takes a context and a request type
// of this package and returns the answer's data:
//
//	c := opay.NewClient(merchantID, privateKey,
//		opay.WithBaseURL(opay.ProductionURL), // SandboxURL is the default
//		opay.WithPublicKey(publicKey))        // for CreateCashier
//	order, err := c.CreateCashier(ctx, opay.CashierCreateRequest{…})
//	// send the customer to order.CashierURL
//
// The client signs the exact bytes it sends. Sign, Verify and Client.Do are there for requests
// built by hand.
//
// # Errors
//
// An answer whose code is not 00000 is an *APIError; errors.Is matches it with ErrNotFound,
// ErrDuplicateReference and the other sentinels. An *HTTPError is an answer that is not OPay's
// at all (a proxy's error page). Anything else is a transport failure, after which the outcome
// is unknown: read the order back (CashierStatus), or repeat the create with the same
// reference — never a new one — so that 02004 tells you the first one arrived.
//
// # Retries
//
// The client repeats a call only where repeating cannot pay, text or invoice twice: reads on
// transport errors and 50003; creates that carry a reference on transport errors, returning the
// original object when the retry finds the reference taken; anything else only when the
// request never left. RetryPolicy lists exactly what is retried.
//
// # Statuses
//
// Statuses are strings on the wire and in the answer types. OrderStatus, RefundStatus and
// InvoiceStatus add Known and Final; OPay may add values, so code must not treat an unknown
// status as an error, nor as final.
//
// # Callbacks
//
// Mount CallbackHandler at the callbackUrl, or call ParseCallbackRequest yourself: either
// verifies the signature before anything else, for both versions a merchant may receive — v1
// (HMAC-SHA3-512 in the body's sha512) and v2, MACQUIRING_CALLBACK (HMAC-SHA512 of the
// RequestTimestamp header and the raw body, in the Signature and Authorization headers;
// VerifyCallbackV2). ParseCallback takes v1 bodies only. Callbacks arrive at least once.
//
// # Testing
//
// Package github.com/opaygate/opaygate/opaytest starts a real gateway inside a Go test; its
// Client method returns a Client configured for it. The examples of this package run on it.
package opay
