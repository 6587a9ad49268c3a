// Package openapi holds the OpenAPI 3.1 document of the gateway's API (openapi.json): every
// endpoint, its request and its envelope, the codes, both authentication schemes and the
// sandbox routes. The server serves it at GET /openapi.json; the server's tests validate
// every request they make and every answer they get against it, so it cannot drift from what
// the gateway does (docs/OPENAPI.md). It imports nothing of ours.
package openapi

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
)

//go:embed openapi.json
var document []byte

// etag is the document's entity tag: it changes exactly when the document does.
var etag = func() string {
	sum := sha256.Sum256(document)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}()

// Document returns the document's JSON (a copy: callers may not change the served one).
func Document() []byte { return append([]byte(nil), document...) }

// ETag returns the document's quoted entity tag.
func ETag() string { return etag }
