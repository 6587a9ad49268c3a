package opay

import (
	"strings"
	"testing"
)

// The merchant, body and signature printed on OPay's Get Invoice Details page. The page sends
// the pretty body but the signature is over its compact form.
const (
	docKey       = "OPAYPRV16357783346230.07653446106051542"
	docBody      = "{\n\"invoiceNo\": \"20464188\"\n}"
	docSignature = "172b4102c8df516757eafd9d194d176e0b59dc6a8ae879d23493dbc27e9f48d755eb0880cc1b7ce665fc606fcccc227075d5d932f6053585b2381ed13eb62957"
)

// prettyCashierBody is a cashier/create request as a curl sample sends it: pretty-printed,
// keys in no particular order.
const prettyCashierBody = `{
  "country": "EG",
  "reference": "983541354564",
  "amount": {
    "total": 40000,
    "currency": "EGP"
  },
  "returnUrl": "https://merchant.example.com/return",
  "callbackUrl": "https://merchant.example.com/callback",
  "cancelUrl": "https://merchant.example.com/cancel",
  "expireAt": 30,
  "userInfo": {
    "userEmail": "david@example.com",
    "userId": "userid001",
    "userMobile": "+201066668888",
    "userName": "David"
  },
  "product": {
    "name": "Blue T-shirt",
    "description": "Cotton, size M"
  },
  "payMethod": "BankCard"
}`

func TestSignDocumentationVector(t *testing.T) {
	if got := Sign([]byte(`{"invoiceNo":"20464188"}`), docKey); got != docSignature {
		t.Errorf("Sign(compact body) = %s, want %s", got, docSignature)
	}
	if got := Sign([]byte(docBody), docKey); got == docSignature {
		t.Errorf("the raw pretty body unexpectedly carries the documented signature")
	}
}

func TestVerify(t *testing.T) {
	const key = "OPAYPRV-test-key"
	phpSent := `{"returnUrl":"https:\/\/example.com\/r","amount":{"total":100}}`
	phpSigned := `{"returnUrl":"https://example.com/r","amount":{"total":100}}`
	unsorted := "{\n  \"z\": {\"y\": 1, \"x\": [ {\"b\": 2, \"a\": 1} ]},\n  \"a\": \"v\"\n}"
	sorted := `{"a":"v","z":{"x":[{"a":1,"b":2}],"y":1}}`

	tests := []struct {
		name, body, signature, key string
		want                       bool
	}{
		{"DocumentationVector", docBody, docSignature, docKey, true},
		{"DocumentationVectorBearer", docBody, "Bearer " + docSignature, docKey, true},
		{"DocumentationVectorUpperHex", docBody, strings.ToUpper(docSignature), docKey, true},
		{"DocumentationVectorBearerUpperHex", docBody, "Bearer " + strings.ToUpper(docSignature), docKey, true},
		{"DocumentationVectorLowercaseBearerManySpaces", docBody, "bearer    " + docSignature, docKey, true},
		{"DocumentationVectorUppercaseBearer", docBody, "BEARER " + docSignature, docKey, true},
		{"RawBodySigned", prettyCashierBody, Sign([]byte(prettyCashierBody), key), key, true},
		{"PHPEscapedSlashes", phpSent, Sign([]byte(phpSigned), key), key, true},
		{"PHPSignedAsSent", phpSent, Sign([]byte(phpSent), key), key, true},
		{"SortedKeysSentPretty", unsorted, Sign([]byte(sorted), key), key, true},
		{"EscapedBackslashSlashSignedCompact", `{ "p": "a\\/b" }`, Sign([]byte(`{"p":"a\\/b"}`), key), key, true},
		{"InvalidJSONSignedRaw", `{"a": 1} x`, Sign([]byte(`{"a": 1} x`), key), key, true},

		{"WrongKey", docBody, docSignature, "OPAYPRV16357783346230.07653446106051543", false},
		{"EmptyKey", docBody, docSignature, "", false},
		{"TamperedBody", "{\n\"invoiceNo\": \"20464189\"\n}", docSignature, docKey, false},
		{"NumberRespelled", `{"total":100.0}`, Sign([]byte(`{"total":100}`), key), key, false},
		{"EscapedBackslashSlashNotRewritten", `{"p":"a\\/b"}`, Sign([]byte(`{"p":"a\/b"}`), key), key, false},
		{"ArrayReordered", `{"a":[2,1]}`, Sign([]byte(`{"a":[1,2]}`), key), key, false},
		{"InvalidJSONNotCanonicalized", `{"a": 1} x`, Sign([]byte(`{"a":1}`), key), key, false},
		{"GarbageSignature", docBody, "not-a-signature", docKey, false},
		{"NonHexSignature", docBody, strings.Repeat("zz", 64), docKey, false},
		{"EmptySignature", docBody, "", docKey, false},
		{"BearerOnly", docBody, "Bearer ", docKey, false},
		{"TruncatedSignature", docBody, docSignature[:126], docKey, false},
		{"ExtendedSignature", docBody, docSignature + "00", docKey, false},
		{"OtherScheme", docBody, "Basic " + docSignature, docKey, false},
		{"TimestampedSignature", docBody, SignTimestamped("1700000000", []byte(docBody), docKey), docKey, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Verify([]byte(tt.body), tt.signature, tt.key); got != tt.want {
				t.Errorf("Verify(%q, %.20q…) = %v, want %v", tt.body, tt.signature, got, tt.want)
			}
		})
	}
}

func TestVerifyTimestamped(t *testing.T) {
	const key, ts = "OPAYPRV-test-key", "1763632800"
	sent := `{ "b": "x\/y", "a": 1.50 }`
	tests := []struct {
		name, signedTimestamp, signedBody, prefix string
		want                                      bool
	}{
		{"RawSigned", ts, sent, "", true},
		{"CompactSigned", ts, `{"b":"x/y","a":1.50}`, "", true},
		{"SortedSigned", ts, `{"a":1.50,"b":"x/y"}`, "", true},
		{"BearerPrefix", ts, sent, "Bearer ", true},
		{"OtherTimestamp", "1763632801", sent, "", false},
		{"SameInstantInMilliseconds", ts + "000", sent, "", false},
		{"SignedWithoutTimestamp", "", sent, "", false},
		{"TamperedBody", ts, `{"b":"x/y","a":1.5}`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig := tt.prefix + SignTimestamped(tt.signedTimestamp, []byte(tt.signedBody), key)
			if got := VerifyTimestamped(ts, []byte(sent), sig, key); got != tt.want {
				t.Errorf("VerifyTimestamped = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAuthorizationHeader(t *testing.T) {
	got := AuthorizationHeader([]byte(`{"invoiceNo":"20464188"}`), docKey)
	if want := "Bearer " + docSignature; got != want {
		t.Errorf("AuthorizationHeader = %q, want %q", got, want)
	}
	if !Verify([]byte(docBody), got, docKey) {
		t.Errorf("Verify rejected AuthorizationHeader's value")
	}
}

func FuzzVerify(f *testing.F) {
	f.Add([]byte(docBody), docSignature, docKey, "")
	f.Add([]byte(docBody), "Bearer "+strings.ToUpper(docSignature), docKey, "1763632800")
	f.Add([]byte(`{"returnUrl":"https:\/\/example.com\/r","amount":{"total":100}}`), "bearer  00", "k", "")
	f.Add([]byte(`{"a":1} x`), "", "", "")
	f.Fuzz(func(t *testing.T, body []byte, signature, key, timestamp string) {
		Verify(body, signature, key)
		VerifyTimestamped(timestamp, body, signature, key)

		if !Verify(body, Sign(body, key), key) {
			t.Fatalf("Verify rejected Sign's signature")
		}
		if !VerifyTimestamped(timestamp, body, SignTimestamped(timestamp, body, key), key) {
			t.Fatalf("VerifyTimestamped rejected SignTimestamped's signature")
		}
		c, err := Compact(body)
		if err != nil {
			return
		}
		if !Verify(body, AuthorizationHeader(c, key), key) {
			t.Fatalf("Verify rejected a signature of the compact form %q", c)
		}
		s, _ := CompactSorted(body)
		if !VerifyTimestamped(timestamp, body, SignTimestamped(timestamp, s, key), key) {
			t.Fatalf("VerifyTimestamped rejected a signature of the sorted form %q", s)
		}
	})
}

func BenchmarkVerifyRaw(b *testing.B) {
	benchmarkVerify(b, []byte(prettyCashierBody))
}

func BenchmarkVerifyCompact(b *testing.B) {
	benchmarkVerify(b, mustCompact(b, []byte(prettyCashierBody)))
}

func BenchmarkVerifySorted(b *testing.B) {
	sorted, err := CompactSorted([]byte(prettyCashierBody))
	if err != nil {
		b.Fatal(err)
	}
	benchmarkVerify(b, sorted)
}

// benchmarkVerify measures verifying prettyCashierBody as sent against a signature of signed.
func benchmarkVerify(b *testing.B, signed []byte) {
	body := []byte(prettyCashierBody)
	sig := AuthorizationHeader(signed, docKey)
	b.ReportAllocs()
	for b.Loop() {
		if !Verify(body, sig, docKey) {
			b.Fatal("Verify failed")
		}
	}
}
