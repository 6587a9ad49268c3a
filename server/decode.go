package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/opaygate/opaygate/internal/jsonscan"
	"github.com/opaygate/opaygate/opay"
)

// maxDepth bounds the nesting of a request body; real ones nest three or four levels.
const maxDepth = 32

// decode reads a request body into v, whatever the Content-Type said. Every problem is a 02001
// that names it — the body as a whole or the path of the offending field — in words of the
// contract, never in encoding/json's.
func decode(body []byte, v any) error {
	if len(trimJSONSpace(body)) == 0 {
		return invalid("request body is empty")
	}
	if !utf8.Valid(body) {
		return invalid("request body is not valid UTF-8")
	}
	if err := scan(body); err != nil {
		return err
	}
	err := json.Unmarshal(body, v)
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te):
		return typeError(te)
	}
	return invalid("request body is not valid")
}

// typeError turns a wrong JSON type into "<field path> must be <what it should be>".
func typeError(te *json.UnmarshalTypeError) error {
	field := te.Field
	if field == "" {
		return invalid("request body must be a JSON object")
	}
	return invalid("%s must be %s", field, describe(te.Type))
}

// describe says in the contract's words what a Go type expects on the wire.
func describe(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[opay.Int64String]():
		return "a positive integer"
	case reflect.TypeFor[opay.Decimal]():
		return "a number"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a positive integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "of another type"
}

// scan checks that body is exactly one JSON object with no duplicate key at any depth.
// Duplicate keys are refused because the signature covers the bytes while decoders disagree on
// which duplicate wins; a body must mean one thing. Keys are compared case-insensitively, as
// encoding/json matches them to fields ("Reference" fills reference too).
func scan(body []byte) error {
	if b := trimJSONSpace(body); b[0] != '{' {
		if json.Valid(b) {
			return invalid("request body must be a JSON object")
		}
		return invalid("request body is not valid JSON")
	}
	if json.Valid(body) {
		return scanValid(body)
	}
	return scanTokens(body)
}

// scanValid is scan for a body json.Valid accepted: a walk over its bytes that allocates
// only for an object's many keys and for an error, where scanTokens' json.Decoder costs an
// allocation per token (a fifth of a payment's CPU in the gateway). Both say the same of
// every valid body (FuzzScan).
func scanValid(body []byte) error {
	var stack []scanFrame
	// path is the path of stack[n]'s container, in scanTokens' words.
	path := func(n int) string {
		p := ""
		for _, f := range stack[:n] {
			if f.object {
				p = join(p, keyString(f.last))
			} else {
				p += "[" + strconv.Itoa(f.index-1) + "]"
			}
		}
		return p
	}
	for i := 0; i < len(body); {
		var top *scanFrame
		if n := len(stack); n > 0 {
			top = &stack[n-1]
		}
		switch c := body[i]; c {
		case ' ', '\t', '\n', '\r', ':':
			i++
		case ',':
			if top.object {
				top.wantKey = true
			}
			i++
		case '{', '[':
			if top != nil && !top.object {
				top.index++
			}
			if len(stack) >= maxDepth {
				return invalid("request body nests more than %d levels", maxDepth)
			}
			stack = append(stack, scanFrame{object: c == '{', wantKey: c == '{'})
			i++
		case '}', ']':
			stack = stack[:len(stack)-1]
			i++
			if len(stack) == 0 {
				return nil // json.Valid: nothing but whitespace follows
			}
		case '"':
			end := jsonscan.StringEnd(body, i)
			switch {
			case top.object && top.wantKey:
				key := body[i+1 : end-1]
				if top.seen(key) {
					return invalid("duplicate key %s", join(path(len(stack)-1), keyString(key)))
				}
				top.wantKey, top.last = false, key
			case !top.object:
				top.index++
			}
			i = end
		default: // a number, true, false or null
			if !top.object {
				top.index++
			}
			for i < len(body) && !strings.ContainsRune(" \t\n\r,]}", rune(body[i])) {
				i++
			}
		}
	}
	return nil
}

// scanFrame is an object or array scanValid is inside.
type scanFrame struct {
	object  bool
	wantKey bool            // the next string of an object is a key
	keys    [][]byte        // its keys as sent, while few
	folded  map[string]bool // its keys folded (foldKey), once many
	last    []byte          // the key whose value comes next, as sent
	index   int             // the values begun in an array
}

// manyKeys is how many keys an object's duplicate check compares one by one before it folds
// them into a map: a hostile body of a hundred thousand keys must not cost their square.
const manyKeys = 16

// seen records key, as sent, in the object f and reports whether a key that folds to the
// same (foldKey: what encoding/json would match to the same field) was there before.
func (f *scanFrame) seen(key []byte) bool {
	if f.folded == nil && len(f.keys) < manyKeys {
		for _, k := range f.keys {
			if sameKey(k, key) {
				return true
			}
		}
		f.keys = append(f.keys, key)
		return false
	}
	if f.folded == nil {
		f.folded = make(map[string]bool, 2*manyKeys)
		for _, k := range f.keys {
			f.folded[foldKey(keyString(k))] = true
		}
		f.keys = nil
	}
	k := foldKey(keyString(key))
	if f.folded[k] {
		return true
	}
	f.folded[k] = true
	return false
}

// scanTokens is scan for a body that is not valid JSON, or anything json.Valid would not say
// why: it reads the body token by token to name the problem.
func scanTokens(body []byte) error {
	type frame struct {
		object bool
		path   string
		keys   map[string]bool
		last   string // the key whose value comes next
		key    bool   // the next token of an object is a key
		index  int
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return syntaxError(body, err)
		}
		d, delim := tok.(json.Delim)
		if delim && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				break
			}
			continue
		}
		var path string
		if n := len(stack); n > 0 {
			top := stack[n-1]
			switch {
			case top.object && top.key:
				k, _ := tok.(string)
				f := foldKey(k)
				if top.keys[f] {
					return invalid("duplicate key %s", join(top.path, k))
				}
				top.keys[f], top.last, top.key = true, k, false
				continue
			case top.object:
				path, top.key = join(top.path, top.last), true
			default:
				path = top.path + "[" + strconv.Itoa(top.index) + "]"
				top.index++
			}
		}
		if delim {
			if len(stack) >= maxDepth {
				return invalid("request body nests more than %d levels", maxDepth)
			}
			stack = append(stack, &frame{object: d == '{', path: path, keys: map[string]bool{}, key: d == '{'})
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid("request body has data after the JSON object")
	}
	return nil
}

// keyString is a key as sent (the bytes between its quotes), decoded.
func keyString(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw)
	}
	var k string
	if err := json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &k); err != nil {
		return string(raw)
	}
	return k
}

// sameKey reports whether two keys as sent fold to the same (foldKey).
func sameKey(a, b []byte) bool {
	if ascii(a) && ascii(b) {
		return bytes.EqualFold(a, b)
	}
	return strings.EqualFold(keyString(a), keyString(b))
}

// ascii reports whether b is printable ASCII without escapes.
func ascii(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf || c == '\\' {
			return false
		}
	}
	return true
}

// foldKey maps every rune to the smallest of its case-folding orbit, so keys that
// encoding/json would match to the same field fold to the same string.
func foldKey(k string) string {
	return strings.Map(func(r rune) rune {
		low := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			low = min(low, f)
		}
		return low
	}, k)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// syntaxError names the problem of a body that is not JSON.
func syntaxError(body []byte, err error) error {
	var se *json.SyntaxError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return invalid("request body is truncated JSON")
	case errors.As(err, &se):
		// The offset helps; encoding/json's own wording is a Go error string and stays out.
		// A trailing comma gets its own words: OPay's invoice pages print one in their
		// request example, so it is the mistake a copied sample makes.
		if at, closing, ok := trailingComma(body, se.Offset); ok {
			return invalid("request body has a trailing comma at byte %d, before %c: JSON allows none", at, closing)
		}
		return invalid("request body is not valid JSON at byte %d", se.Offset)
	}
	return invalid("request body is not valid JSON")
}

// trailingComma reports whether a syntax error near offset is a closing brace or bracket
// right after a comma, and returns the comma's offset and the closing byte. encoding/json's
// decoder reports the offset of the offending byte or the one after it, so both are tried.
func trailingComma(body []byte, offset int64) (int, byte, bool) {
	for _, at := range []int64{offset - 1, offset} {
		if at < 1 || at >= int64(len(body)) {
			continue
		}
		if c := body[at]; c != '}' && c != ']' {
			continue
		}
		before := bytes.TrimRight(body[:at], " \t\r\n")
		if len(before) > 0 && before[len(before)-1] == ',' {
			return len(before) - 1, body[at], true
		}
	}
	return 0, 0, false
}

// trimJSONSpace trims the four whitespace bytes JSON allows.
func trimJSONSpace(b []byte) []byte {
	return bytes.Trim(b, " \t\r\n")
}
