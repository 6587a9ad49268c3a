package reqlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/opaygate/opaygate"
)

// Redacted is what replaces a secret's value.
const Redacted = "[redacted]"

// secretMembers are the members whose values are never kept, whatever they hold, compared
// case-insensitively without '_' and '-': the card's security code, PINs, OTPs, the BVN,
// passwords, keys and signatures. A member that holds an object or an array loses all of it.
var secretMembers = map[string]bool{
	"cvv": true, "cvv2": true, "cvc": true, "cvc2": true, "pin": true, "pinblock": true, "otp": true,
	"bvn": true, "password": true, "privatekey": true, "secretkey": true, "secret": true,
	"authorization": true, "signature": true, "sign": true,
}

// cardMembers hold a card number: masked to BIN and last four even when the number fails Luhn
// (a mistyped card is still most of a card).
var cardMembers = map[string]bool{"cardnumber": true, "cardno": true, "pan": true}

// ownNumbers are the numbers the gateway issues, and the merchant's id: never card numbers,
// so they are not scanned (an 18-digit orderNo passes Luhn one time in ten, and masking it
// would hide what a developer came to see).
var ownNumbers = map[string]bool{"orderno": true, "originalorderno": true, "merchantid": true, "invoiceno": true}

func memberName(s string) string {
	return strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(s))
}

// Body returns what the request log keeps of a request or response body, at most limit
// bytes (truncated reports a cut). A JSON body is kept member for member, in its order,
// re-encoded compactly, with the values of secretMembers replaced by Redacted, card numbers
// masked to BIN and last four, and every other string or number scanned by Text. A body that
// is not JSON is kept with every digit replaced by '•' and private keys removed: enough to see
// why it did not parse, nothing of a number.
func Body(body []byte, limit int) (kept string, truncated bool) {
	if len(bytes.TrimSpace(body)) == 0 {
		return "", false
	}
	kept, err := redactJSON(body)
	if err != nil {
		kept = maskDigits(Text(string(body)))
	}
	if len(kept) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(kept[cut]) {
			cut--
		}
		return kept[:cut], true
	}
	return kept, false
}

// redactJSON walks body token by token, so members keep their order (a map would sort them)
// and duplicates stay visible.
func redactJSON(body []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		object  bool
		n       int    // members or elements written
		member  string // the current member's name, normalized
		wantKey bool
	}
	var stack []frame
	var b strings.Builder
	skip := 0 // depth inside a secret object or array being left out
	values := 0
	// prefix writes what comes before a value: a comma between array elements.
	prefix := func() {
		if len(stack) == 0 {
			if values++; values > 1 {
				b.WriteByte(' ')
			}
			return
		}
		if f := &stack[len(stack)-1]; !f.object {
			if f.n > 0 {
				b.WriteByte(',')
			}
			f.n++
		}
	}
	// done marks the end of a value: an object then wants its next key.
	done := func() {
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].wantKey = true
		}
	}
	member := func() string {
		if len(stack) > 0 && stack[len(stack)-1].object {
			return stack[len(stack)-1].member
		}
		return ""
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return "", err
		}
		if skip > 0 {
			switch tok {
			case json.Delim('{'), json.Delim('['):
				skip++
			case json.Delim('}'), json.Delim(']'):
				if skip--; skip == 0 {
					done()
				}
			}
			continue
		}
		if len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].wantKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				b.WriteByte('}')
				done()
				continue
			}
			f := &stack[len(stack)-1]
			key, _ := tok.(string)
			if f.n > 0 {
				b.WriteByte(',')
			}
			f.n++
			writeString(&b, Text(key))
			b.WriteByte(':')
			f.member, f.wantKey = memberName(key), false
			continue
		}
		name := member()
		switch v := tok.(type) {
		case json.Delim:
			switch {
			case v == '}' || v == ']':
				stack = stack[:len(stack)-1]
				b.WriteByte(byte(v))
				done()
			case secretMembers[name]:
				prefix()
				writeString(&b, Redacted)
				skip = 1
			default:
				prefix()
				b.WriteByte(byte(v))
				stack = append(stack, frame{object: v == '{', wantKey: v == '{'})
			}
		case string:
			prefix()
			writeString(&b, scalar(name, v))
			done()
		case json.Number:
			prefix()
			if s := scalar(name, v.String()); s != v.String() {
				writeString(&b, s)
			} else {
				b.WriteString(s)
			}
			done()
		default: // bool, null
			prefix()
			raw, _ := json.Marshal(v)
			b.Write(raw)
			done()
		}
	}
	if len(stack) > 0 || skip > 0 {
		return "", io.ErrUnexpectedEOF
	}
	return b.String(), nil
}

// scalar is what is kept of the string or number value of member name.
func scalar(name, v string) string {
	switch {
	case secretMembers[name]:
		return Redacted
	case cardMembers[name]:
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, v)
		if len(digits) < 10 {
			return Redacted
		}
		return opaygate.MaskPAN(digits[:6], digits[len(digits)-4:])
	case ownNumbers[name]:
		return clean(v)
	}
	return Text(v)
}

// Text masks what must never be stored wherever it appears in free text (a value, a path, a
// detail): a run of 12–19 digits, single spaces or dashes between them allowed, that passes
// Luhn becomes BIN******last4 (opaygate.MaskPAN, as orders show cards), and a private key (OPAYPRV…) becomes
// "OPAYPRV[redacted]". It also makes s valid UTF-8 without NUL bytes, which PostgreSQL's text
// refuses.
func Text(s string) string {
	s = clean(s)
	if i := strings.Index(strings.ToUpper(s), "OPAYPRV"); i >= 0 {
		var b strings.Builder
		for i >= 0 {
			b.WriteString(s[:i])
			b.WriteString("OPAYPRV" + Redacted)
			j := i + len("OPAYPRV")
			for j < len(s) && keyByte(s[j]) {
				j++
			}
			s = s[j:]
			i = strings.Index(strings.ToUpper(s), "OPAYPRV")
		}
		b.WriteString(s)
		s = b.String()
	}
	return maskCards(s)
}

func keyByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '*' || c == '_' || c == '-'
}

// maskCards replaces every card-number-like run of s by its mask.
func maskCards(s string) string {
	var out strings.Builder
	last := 0 // s[last:] is not yet copied
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		// The run: digits, with a single space or dash between two of them.
		j, digits := i, make([]byte, 0, 19)
		for j < len(s) {
			if isDigit(s[j]) {
				digits = append(digits, s[j])
				j++
			} else if (s[j] == ' ' || s[j] == '-') && j+1 < len(s) && isDigit(s[j+1]) {
				j++
			} else {
				break
			}
		}
		if opaygate.Luhn(string(digits)) {
			out.WriteString(s[last:i])
			out.WriteString(opaygate.MaskPAN(string(digits[:6]), string(digits[len(digits)-4:])))
			last = j
		}
		i = j
	}
	if last == 0 {
		return s
	}
	out.WriteString(s[last:])
	return out.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// maskDigits replaces every ASCII digit by '•'.
func maskDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '•'
		}
		return r
	}, s)
}

// clean makes s valid UTF-8 without NUL bytes.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	return s
}

// writeString writes s as a JSON string, without escaping HTML (the log is shown through
// html/template, which escapes it there).
func writeString(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}
