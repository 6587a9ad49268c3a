package reqlog

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/internal/jsonscan"
)

// Redacted is what replaces a secret's value.
const Redacted = "[redacted]"

// kind is what a member's name says its value is.
type kind uint8

const (
	anyMember kind = iota
	// secretMember: a value never kept, whatever it holds (a member that holds an object or
	// an array loses all of it): the card's security code, PINs, OTPs, the BVN, passwords,
	// keys and signatures.
	secretMember
	// cardMember: a card number, masked to BIN and last four even when it fails Luhn (a
	// mistyped card is still most of a card).
	cardMember
	// ownMember: a number the gateway issues, or the merchant's id. Such a value in the
	// gateway's own shape (15 digits for a merchant id, 18 for an orderNo) is not scanned: an
	// orderNo passes Luhn one time in ten, and masking it would hide what a developer came to
	// see. Any other value there is scanned like the rest.
	ownMember
)

// memberKinds are the members that are not anyMember, by name in lower case without '_' and
// '-'. One table, so that a member costs one lookup.
var memberKinds = map[string]kind{
	"cvv": secretMember, "cvv2": secretMember, "cvc": secretMember, "cvc2": secretMember,
	"pin": secretMember, "pinblock": secretMember, "otp": secretMember, "bvn": secretMember,
	"password": secretMember, "privatekey": secretMember, "secretkey": secretMember,
	"secret": secretMember, "authorization": secretMember, "signature": secretMember,
	"sign": secretMember,

	"cardnumber": cardMember, "cardno": cardMember, "pan": cardMember,

	"orderno": ownMember, "originalorderno": ownMember, "merchantid": ownMember, "invoiceno": ownMember,
}

// memberKind looks name up in memberKinds, in lower case without '_' and '-'. It
// allocates nothing: it runs for every member of every body.
func memberKind(name []byte) kind {
	if len(name) > 24 { // longer than any name of the tables, with a few '_' in it
		return anyMember
	}
	var b [24]byte
	n := 0
	for _, c := range name {
		switch {
		case c == '_' || c == '-':
		case 'A' <= c && c <= 'Z':
			b[n], n = c+'a'-'A', n+1
		default:
			b[n], n = c, n+1
		}
	}
	return memberKinds[string(b[:n])] // anyMember when absent
}

// plain reports whether raw, the bytes of a JSON string without its quotes or of a number,
// is kept as it is: printable ASCII without escapes, no run of 12 digits or more, no private
// key. Most values are, and then cost no allocation.
func plain(raw []byte) bool {
	run := 0
	for i, c := range raw {
		switch {
		case c >= 0x80 || c < 0x20 || c == '\\':
			return false
		case isDigit(c):
			if run++; run >= opaygate.MinCardDigits {
				return false
			}
		case (c == ' ' || c == '-') && run > 0 && i+1 < len(raw) && isDigit(raw[i+1]):
		default:
			run = 0
			if c|0x20 == 'o' && i+len(keyPrefix) <= len(raw) && bytes.EqualFold(raw[i:i+len(keyPrefix)], keyPrefixBytes) {
				return false
			}
		}
	}
	return true
}

var keyPrefixBytes = []byte(keyPrefix)

// Body returns what the request log keeps of a request or response body, at most limit
// bytes (truncated reports a cut). A JSON body is kept member for member, in its order,
// re-encoded compactly, with the values of secret members replaced by Redacted, card numbers
// masked to BIN and last four, and every other string or number scanned by Text. A body that
// is not JSON is kept with every digit replaced by '•' and private keys removed: enough to see
// why it did not parse, nothing of a number.
func Body(body []byte, limit int) (kept string, truncated bool) {
	return redactBody(body, limit, false)
}

// redactBody is Body; valid says body is JSON already checked (an answer the gateway encoded),
// which redactJSON then walks without checking it again.
func redactBody(body []byte, limit int, valid bool) (kept string, truncated bool) {
	if len(bytes.TrimSpace(body)) == 0 {
		return "", false
	}
	kept, ok := redactJSON(body, valid)
	if !ok {
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

// redactJSON copies a valid JSON body byte by byte, dropping the whitespace between tokens and
// rewriting only the values that need it, so members keep their order (a map would sort them),
// duplicates stay visible, and numbers keep their text. It reports false for a body that is not
// JSON. (json.Decoder's Token costs a few hundred allocations for a status answer; this copy
// costs a few.) A body the caller says is valid is not checked again; one that is not valid
// after all still never makes the walk fail worse than reporting false on an unbalanced
// bracket or an unterminated string.
func redactJSON(body []byte, valid bool) (string, bool) {
	if !valid && !json.Valid(body) {
		return "", false
	}
	type frame struct {
		object  bool
		wantKey bool
		member  kind // of the current member
	}
	var stack []frame
	member := func() kind {
		if n := len(stack); n > 0 && stack[n-1].object {
			return stack[n-1].member
		}
		return anyMember
	}
	var b strings.Builder
	b.Grow(len(body))
	for i := 0; i < len(body); {
		switch c := body[i]; c {
		case ' ', '\t', '\n', '\r':
			i++
		case '{', '[':
			if member() == secretMember {
				b.WriteString(`"` + Redacted + `"`)
				i = skipContainer(body, i)
				continue
			}
			b.WriteByte(c)
			stack = append(stack, frame{object: c == '{', wantKey: c == '{'})
			i++
		case '}', ']':
			if len(stack) == 0 {
				return "", false
			}
			b.WriteByte(c)
			stack = stack[:len(stack)-1]
			i++
		case ',':
			b.WriteByte(c)
			if n := len(stack); n > 0 && stack[n-1].object {
				stack[n-1].wantKey = true
			}
			i++
		case ':':
			b.WriteByte(c)
			i++
		case '"':
			end := jsonscan.StringEnd(body, i)
			if end-i < 2 || body[end-1] != '"' {
				return "", false // unterminated
			}
			tok := body[i:end]
			raw := tok[1 : len(tok)-1]
			// decoded is the string's value, made only when it is needed.
			decoded := func() string {
				var v string
				if json.Unmarshal(tok, &v) != nil {
					v = string(raw)
				}
				return v
			}
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
				stack[n-1].wantKey = false
				if plain(raw) {
					stack[n-1].member = memberKind(raw)
					b.Write(tok)
				} else {
					v := decoded()
					stack[n-1].member = memberKind([]byte(v))
					writeString(&b, Text(v))
				}
			} else if k := member(); k == anyMember && plain(raw) {
				b.Write(tok)
			} else {
				writeString(&b, scalar(k, decoded()))
			}
			i = end
		default: // a number, true, false or null
			j := i
			for j < len(body) && !strings.ContainsRune(" \t\n\r,]}", rune(body[j])) {
				j++
			}
			tok := body[i:j]
			if k := member(); (c == '-' || isDigit(c)) && (k != anyMember || !plain(tok)) {
				if out := scalar(k, string(tok)); out != string(tok) {
					writeString(&b, out)
					i = j
					continue
				}
			}
			b.Write(tok)
			i = j
		}
	}
	if len(stack) != 0 {
		return "", false
	}
	return b.String(), true
}

// skipContainer returns the index just past the object or array that starts at body[i].
func skipContainer(body []byte, i int) int {
	depth := 0
	for i < len(body) {
		switch body[i] {
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return i + 1
			}
		case '"':
			i = jsonscan.StringEnd(body, i)
			continue
		}
		i++
	}
	return i
}

// scalar is what is kept of the string or number value of a member of kind k.
func scalar(k kind, v string) string {
	switch k {
	case secretMember:
		return Redacted
	case cardMember:
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
	case ownMember:
		if opaygate.Digits(v) && (len(v) == 15 || len(v) == 18) {
			return v
		}
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
	if i := indexKey(s); i >= 0 {
		var b strings.Builder
		for i >= 0 {
			b.WriteString(s[:i])
			b.WriteString(keyPrefix + Redacted)
			j := i + len(keyPrefix)
			if strings.HasPrefix(s[j:], Redacted) { // masked already
				j += len(Redacted)
			}
			for j < len(s) && keyByte(s[j]) {
				j++
			}
			s = s[j:]
			i = indexKey(s)
		}
		b.WriteString(s)
		s = b.String()
	}
	return maskCards(s)
}

// keyPrefix starts every private key the gateway makes.
const keyPrefix = "OPAYPRV"

// indexKey is the index of keyPrefix in s, in any case, or -1.
func indexKey(s string) int {
	for i := 0; i+len(keyPrefix) <= len(s); i++ {
		if s[i]|0x20 == 'o' && strings.EqualFold(s[i:i+len(keyPrefix)], keyPrefix) {
			return i
		}
	}
	return -1
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
