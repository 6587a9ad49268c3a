package opay

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestCompact(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"WhitespaceRemoved", "{\n\t\"a\" : 1 ,\r\n \"b\":[ 1 , 2 ] }\n", `{"a":1,"b":[1,2]}`},
		{"KeyOrderKept", `{"b":1,"a":2}`, `{"b":1,"a":2}`},
		{"NumberSpellingKept", `[1.50, 1e3, -0, 1E+3, 0.0, -12.5e-07]`, `[1.50,1e3,-0,1E+3,0.0,-12.5e-07]`},
		{"SpacesInStringsKept", `{"name" : "a  b\tc"}`, `{"name":"a  b\tc"}`},
		{"EscapedQuoteKept", `{"q": "say \"hi\" "}`, `{"q":"say \"hi\" "}`},
		{"UnicodeEscapeKept", `{"e": "caf\u00e9"}`, `{"e":"caf\u00e9"}`},
		{"RawUTF8Kept", `{"e": "café"}`, `{"e":"café"}`},
		{"SlashEscapeRewritten", `{"u": "https:\/\/example.com\/r"}`, `{"u":"https://example.com/r"}`},
		{"SlashEscapeInKeyRewritten", `{"a\/b": 1}`, `{"a/b":1}`},
		{"EscapedBackslashBeforeSlashKept", `{"p": "a\\/b"}`, `{"p":"a\\/b"}`},
		{"EscapedBackslashThenSlashEscape", `"\\\/"`, `"\\/"`},
		{"OtherEscapesKept", `"\b\f\n\r\t\\\"\u0041"`, `"\b\f\n\r\t\\\"\u0041"`},
		{"LoneSurrogateKept", `"\ud800"`, `"\ud800"`},
		{"EmptyContainers", `{ "a" : { } , "b" : [ ] }`, `{"a":{},"b":[]}`},
		{"TopLevelScalar", ` true `, `true`},
		{"TopLevelString", ` "x" `, `"x"`},
		{"Literals", `[true, false, null]`, `[true,false,null]`},
		{"DuplicateKeysKept", `{"a":1, "a":2}`, `{"a":1,"a":2}`},
		{"MaxDepth", nested(maxDepth), nested(maxDepth)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustCompact(t, []byte(tt.in))
			if string(got) != tt.want {
				t.Errorf("Compact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCompactSorted(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"TopLevelSorted", `{"b":1,"a":2,"c":3}`, `{"a":2,"b":1,"c":3}`},
		{"NestedSorted", `{"z":{"y":1,"x":{"w":1,"v":2}},"a":0}`, `{"a":0,"z":{"x":{"v":2,"w":1},"y":1}}`},
		{"ObjectsInArraysSorted", `[{"b":1,"a":2},{"d":[{"f":1,"e":2}],"c":3}]`, `[{"a":2,"b":1},{"c":3,"d":[{"e":2,"f":1}]}]`},
		{"ArrayOrderKept", `{"a":[3,1,2]}`, `{"a":[3,1,2]}`},
		{"ByteOrderNotCaseFolded", `{"b":1,"B":2,"a":3,"_":4}`, `{"B":2,"_":4,"a":3,"b":1}`},
		{"PrefixSortsFirst", `{"a!":1,"a":2}`, `{"a":2,"a!":1}`},
		{"DuplicateKeysStable", `{"b":0,"a":1,"a":2,"a":3}`, `{"a":1,"a":2,"a":3,"b":0}`},
		{"KeysAfterSlashRewrite", `{"a\/c":1,"a/b":2}`, `{"a/b":2,"a/c":1}`},
		{"BracesInStringsIgnored", `{"b":"}{][","a":"\"{"}`, `{"a":"\"{","b":"}{]["}`},
		{"PrettyInput", "{\n  \"b\": {\"d\": 1.50, \"c\": -0},\n  \"a\": [ ]\n}", `{"a":[],"b":{"c":-0,"d":1.50}}`},
		{"Scalar", `1e3`, `1e3`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CompactSorted([]byte(tt.in))
			if err != nil {
				t.Fatalf("CompactSorted(%q): %v", tt.in, err)
			}
			if string(got) != tt.want {
				t.Errorf("CompactSorted(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCompactInvalid(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"Empty", ``},
		{"OnlySpace", " \n "},
		{"Truncated", `{"a":1`},
		{"TruncatedString", `{"a":"x`},
		{"TruncatedEscape", `"\`},
		{"TruncatedUnicode", `"\u00"`},
		{"TrailingCommaObject", `{"a":1,}`},
		{"TrailingCommaArray", `[1,]`},
		{"TrailingGarbage", `{"a":1}x`},
		{"TwoValues", `1 2`},
		{"UnquotedKey", `{a:1}`},
		{"MissingColon", `{"a" 1}`},
		{"MissingComma", `[1 2]`},
		{"BadLiteral", `tru`},
		{"LiteralWithSuffix", `nulls`},
		{"CapitalLiteral", `True`},
		{"ControlCharInString", "\"a\x01b\""},
		{"NewlineInString", "\"a\nb\""},
		{"InvalidEscape", `"\x41"`},
		{"InvalidUnicodeEscape", `"\u00g9"`},
		{"LeadingZero", `01`},
		{"BareMinus", `-`},
		{"BareDot", `.5`},
		{"DotWithoutDigits", `1.`},
		{"ExponentWithoutDigits", `1e+`},
		{"PlusSign", `+1`},
		{"SingleQuotes", `'a'`},
		{"MismatchedBracket", `[1}`},
		{"TooDeep", nested(maxDepth + 1)},
		{"NestingDepth100000", strings.Repeat("[", 100000) + strings.Repeat("]", 100000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := Compact([]byte(tt.in)); err == nil {
				t.Errorf("Compact(%.40q) = %.40q, want an error", tt.in, got)
			}
			if got, err := CompactSorted([]byte(tt.in)); err == nil {
				t.Errorf("CompactSorted(%.40q) = %.40q, want an error", tt.in, got)
			}
		})
	}
}

func TestCompactDoesNotModifyInput(t *testing.T) {
	in := []byte(`{ "u" : "a\/b" }`)
	orig := string(in)
	mustCompact(t, in)
	if _, err := CompactSorted(in); err != nil {
		t.Fatal(err)
	}
	if string(in) != orig {
		t.Errorf("input changed to %q", in)
	}
}

func FuzzCompact(f *testing.F) {
	for _, s := range []string{
		`{"b":{"d":1.50,"c":-0},"a":[1e3,"x\/y","\\/",true,null]}`,
		"{\n\"invoiceNo\": \"20464188\"\n}",
		`{"returnUrl":"https:\/\/example.com\/r","amount":{"total":100}}`,
		`"\ud800\u00e9"`,
		`[{"a":1,"a":0},{}]`,
		`{"a":1}x`,
		nested(maxDepth),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := Compact(in)
		sorted, sortErr := CompactSorted(in)
		if (err == nil) != (sortErr == nil) {
			t.Fatalf("Compact error %v but CompactSorted error %v", err, sortErr)
		}
		if err != nil {
			var se *syntaxError
			tooDeep := errors.As(err, &se) && se.msg == msgTooDeep
			if json.Valid(in) && !tooDeep {
				t.Fatalf("Compact rejected valid JSON: %v", err)
			}
			return
		}
		if !json.Valid(in) {
			t.Fatalf("Compact accepted invalid JSON, returned %q", c)
		}
		if !json.Valid(c) {
			t.Fatalf("Compact output %q is not valid JSON", c)
		}
		if again := mustCompact(t, c); !bytes.Equal(again, c) {
			t.Fatalf("Compact not idempotent: %q then %q", c, again)
		}
		if !json.Valid(sorted) {
			t.Fatalf("CompactSorted output %q is not valid JSON", sorted)
		}
		if len(sorted) != len(c) {
			t.Fatalf("CompactSorted length %d, Compact length %d", len(sorted), len(c))
		}
		if again, _ := CompactSorted(sorted); !bytes.Equal(again, sorted) {
			t.Fatalf("CompactSorted not idempotent: %q then %q", sorted, again)
		}
	})
}

func BenchmarkCompact(b *testing.B) {
	body := []byte(prettyCashierBody)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compact(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompactSorted(b *testing.B) {
	body := []byte(prettyCashierBody)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CompactSorted(body); err != nil {
			b.Fatal(err)
		}
	}
}

func mustCompact(tb testing.TB, body []byte) []byte {
	tb.Helper()
	c, err := Compact(body)
	if err != nil {
		tb.Fatalf("Compact(%.60q): %v", body, err)
	}
	return c
}

// nested returns depth containers inside each other, alternating arrays and objects.
func nested(depth int) string {
	var b strings.Builder
	for i := range depth {
		if i%2 == 0 {
			b.WriteString(`[`)
		} else {
			b.WriteString(`{"k":`)
		}
	}
	b.WriteString("0")
	for i := depth - 1; i >= 0; i-- {
		if i%2 == 0 {
			b.WriteString(`]`)
		} else {
			b.WriteString(`}`)
		}
	}
	return b.String()
}
