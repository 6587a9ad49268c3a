package opay

import "testing"

// The three accepted forms, compaction and sorting are measured in sign_test.go and
// canonical_test.go. These add what the gateway pays on its hot path: the small body a
// status query sends, a signature that matches no form (every form is then built and
// tried: the cost of a forged or broken request), and the v2 form, and what a client
// pays to sign.

// statusBody is a cashier/status request as clients send it: compact, signed as sent.
const statusBody = `{"country":"EG","reference":"983541354564"}`

func BenchmarkVerifyStatusBody(b *testing.B) {
	body := []byte(statusBody)
	sig := AuthorizationHeader(body, docKey)
	b.ReportAllocs()
	for b.Loop() {
		if !Verify(body, sig, docKey) {
			b.Fatal("Verify failed")
		}
	}
}

func BenchmarkVerifyMismatch(b *testing.B) {
	body := []byte(prettyCashierBody)
	sig := AuthorizationHeader(body, "another key")
	b.ReportAllocs()
	for b.Loop() {
		if Verify(body, sig, docKey) {
			b.Fatal("Verify accepted a signature under another key")
		}
	}
}

func BenchmarkVerifyTimestamped(b *testing.B) {
	body := []byte(statusBody)
	const ts = "1767225600"
	sig := SignTimestamped(ts, body, docKey)
	b.ReportAllocs()
	for b.Loop() {
		if !VerifyTimestamped(ts, body, sig, docKey) {
			b.Fatal("VerifyTimestamped failed")
		}
	}
}

func BenchmarkSign(b *testing.B) {
	body := []byte(statusBody)
	b.ReportAllocs()
	for b.Loop() {
		AuthorizationHeader(body, docKey)
	}
}
