package opay

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
)

// maxDepth bounds nesting so that a hostile body cannot exhaust the stack of the recursive
// tokenizer; real request bodies nest three or four levels.
const maxDepth = 512

const msgTooDeep = "nesting too deep"

type syntaxError struct {
	offset int
	msg    string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("opay: invalid json at offset %d: %s", e.offset, e.msg)
}

// Compact returns body with all whitespace outside strings removed and every `\/` escape
// inside strings written as `/`, which is the form OPay's samples sign. Everything else — key
// order, number spelling, other escapes — is kept byte for byte, which is why this is a
// tokenizer over the original bytes rather than a decode and re-encode. It returns an error if
// body is not a single valid JSON value or nests deeper than 512 levels.
func Compact(body []byte) ([]byte, error) {
	c, err := compact(body)
	if err != nil {
		return nil, err
	}
	return c.out, nil
}

func compact(body []byte) (compactor, error) {
	// Compacting never lengthens the input, so this buffer is never reallocated.
	c := compactor{in: body, out: make([]byte, 0, len(body))}
	c.space()
	if err := c.value(0); err != nil {
		return compactor{}, err
	}
	c.space()
	if c.pos != len(body) {
		return compactor{}, c.fail("data after the top-level value")
	}
	return c, nil
}

type compactor struct {
	in, out []byte
	pos     int
	// containers and keys let the sorter size its scratch space exactly.
	containers, keys int
}

func (c *compactor) fail(msg string) error {
	if c.pos >= len(c.in) {
		msg = "unexpected end of input"
	}
	return &syntaxError{offset: c.pos, msg: msg}
}

// peek returns 0 at the end of input, a byte no valid token starts with.
func (c *compactor) peek() byte {
	if c.pos < len(c.in) {
		return c.in[c.pos]
	}
	return 0
}

func (c *compactor) space() {
	for c.pos < len(c.in) {
		switch c.in[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return
		}
	}
}

func (c *compactor) value(depth int) error {
	switch b := c.peek(); {
	case b == '{' || b == '[':
		return c.container(depth + 1)
	case b == '"':
		return c.str()
	case b == '-' || isDigit(b):
		return c.number()
	case b == 't':
		return c.literal("true")
	case b == 'f':
		return c.literal("false")
	case b == 'n':
		return c.literal("null")
	default:
		return c.fail(fmt.Sprintf("unexpected character %q", b))
	}
}

// container handles objects and arrays together: they differ only in the key before each
// element and in the closing bracket.
func (c *compactor) container(depth int) error {
	if depth > maxDepth {
		return c.fail(msgTooDeep)
	}
	c.containers++
	open := c.in[c.pos]
	end := byte(']')
	if open == '{' {
		end = '}'
	}
	c.out = append(c.out, open)
	c.pos++
	c.space()
	if c.peek() == end {
		c.out = append(c.out, end)
		c.pos++
		return nil
	}
	for {
		if open == '{' {
			if c.peek() != '"' {
				return c.fail("expected a string key")
			}
			c.keys++
			if err := c.str(); err != nil {
				return err
			}
			c.space()
			if c.peek() != ':' {
				return c.fail("expected ':' after an object key")
			}
			c.out = append(c.out, ':')
			c.pos++
			c.space()
		}
		if err := c.value(depth); err != nil {
			return err
		}
		c.space()
		switch c.peek() {
		case ',':
			c.out = append(c.out, ',')
			c.pos++
			c.space()
		case end:
			c.out = append(c.out, end)
			c.pos++
			return nil
		default:
			return c.fail(fmt.Sprintf("expected ',' or '%c'", end))
		}
	}
}

// str copies a string in runs, breaking a run only where `\/` becomes `/`.
func (c *compactor) str() error {
	in := c.in
	run := c.pos
	for i := c.pos + 1; i < len(in); {
		switch b := in[i]; {
		case b == '"':
			c.out = append(c.out, in[run:i+1]...)
			c.pos = i + 1
			return nil
		case b < 0x20:
			c.pos = i
			return c.fail("control character in string")
		case b != '\\':
			i++
			continue
		}
		if i+1 >= len(in) {
			break
		}
		switch in[i+1] {
		case '/':
			c.out = append(c.out, in[run:i]...)
			c.out = append(c.out, '/')
			i += 2
			run = i
		case '"', '\\', 'b', 'f', 'n', 'r', 't':
			i += 2
		case 'u':
			for k := i + 2; k < i+6; k++ {
				if k >= len(in) || !isHex(in[k]) {
					c.pos = k
					return c.fail("invalid \\u escape")
				}
			}
			i += 6
		default:
			c.pos = i
			return c.fail("invalid escape")
		}
	}
	c.pos = len(in)
	return c.fail("unterminated string")
}

func (c *compactor) number() error {
	start := c.pos
	if c.peek() == '-' {
		c.pos++
	}
	switch b := c.peek(); {
	case b == '0':
		c.pos++
	case isDigit(b):
		c.digits()
	default:
		return c.fail("invalid number")
	}
	if c.peek() == '.' {
		c.pos++
		if !isDigit(c.peek()) {
			return c.fail("invalid number")
		}
		c.digits()
	}
	if b := c.peek(); b == 'e' || b == 'E' {
		c.pos++
		if b := c.peek(); b == '+' || b == '-' {
			c.pos++
		}
		if !isDigit(c.peek()) {
			return c.fail("invalid number")
		}
		c.digits()
	}
	c.out = append(c.out, c.in[start:c.pos]...)
	return nil
}

func (c *compactor) digits() {
	for isDigit(c.peek()) {
		c.pos++
	}
}

func (c *compactor) literal(word string) error {
	end := c.pos + len(word)
	if end > len(c.in) || string(c.in[c.pos:end]) != word {
		return c.fail("invalid literal")
	}
	c.out = append(c.out, word...)
	c.pos = end
	return nil
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

func isHex(b byte) bool {
	return isDigit(b) || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F'
}

// CompactSorted is Compact with the members of every object, at every depth, ordered by the
// bytes of their keys as Compact writes them; arrays keep their order and members with equal
// keys keep theirs. This is the form OPay's signature page tells integrators to sign.
func CompactSorted(body []byte) ([]byte, error) {
	c, err := compact(body)
	if err != nil {
		return nil, err
	}
	return c.sorted(), nil
}

// sorted reorders the objects of c's output, whose validity and lack of whitespace are what
// let the sorter scan without checking.
func (c *compactor) sorted() []byte {
	s := sorter{
		in:    c.out,
		out:   make([]byte, 0, len(c.out)),
		spans: containerSpans(c.out, c.containers),
		// Members of the objects enclosing the current one wait here, so all keys is enough.
		members: make([]member, 0, c.keys),
	}
	s.value(0)
	return s.out
}

type sorter struct {
	in, out []byte
	spans   []span
	// members is one scratch stack shared by all objects being sorted, so that an object
	// costs no allocation of its own.
	members []member
}

type span struct{ open, close int }

// member locates `"key":value` in the input: key is its opening quote, colon its colon and
// end the byte after its value.
type member struct{ key, colon, end int }

func (s *sorter) value(i int) int {
	switch s.in[i] {
	case '{':
		return s.object(i)
	case '[':
		return s.array(i)
	}
	end := s.skip(i)
	s.out = append(s.out, s.in[i:end]...)
	return end
}

func (s *sorter) array(i int) int {
	s.out = append(s.out, '[')
	for i++; s.in[i] != ']'; {
		i = s.value(i)
		if s.in[i] == ',' {
			s.out = append(s.out, ',')
			i++
		}
	}
	s.out = append(s.out, ']')
	return i + 1
}

func (s *sorter) object(i int) int {
	base := len(s.members)
	for i++; s.in[i] != '}'; {
		colon := stringEnd(s.in, i)
		end := s.skip(colon + 1)
		s.members = append(s.members, member{key: i, colon: colon, end: end})
		i = end
		if s.in[i] == ',' {
			i++
		}
	}
	n := len(s.members)
	slices.SortStableFunc(s.members[base:n], func(a, b member) int {
		return bytes.Compare(s.in[a.key+1:a.colon-1], s.in[b.key+1:b.colon-1])
	})
	s.out = append(s.out, '{')
	for k := base; k < n; k++ {
		if k > base {
			s.out = append(s.out, ',')
		}
		// Nested objects push onto members past n and pop back before returning.
		m := s.members[k]
		s.out = append(s.out, s.in[m.key:m.colon+1]...)
		s.value(m.colon + 1)
	}
	s.out = append(s.out, '}')
	s.members = s.members[:base]
	return i + 1
}

// skip returns the end of the value starting at i without copying it. Containers are looked
// up rather than scanned: rescanning a value at every enclosing level would cost
// O(len × depth) on hostile input.
func (s *sorter) skip(i int) int {
	switch s.in[i] {
	case '"':
		return stringEnd(s.in, i)
	case '{', '[':
		k, _ := slices.BinarySearchFunc(s.spans, i, func(sp span, open int) int {
			return cmp.Compare(sp.open, open)
		})
		return s.spans[k].close + 1
	}
	for i < len(s.in) && s.in[i] != ',' && s.in[i] != '}' && s.in[i] != ']' {
		i++
	}
	return i
}

// containerSpans lists the brackets of every object and array of compact in order of their
// opening bracket, which is what lets skip binary-search them.
func containerSpans(compact []byte, containers int) []span {
	spans := make([]span, 0, containers)
	var open [maxDepth]int
	depth := 0
	for i := 0; i < len(compact); i++ {
		switch compact[i] {
		case '"':
			i = stringEnd(compact, i) - 1
		case '{', '[':
			open[depth] = len(spans)
			depth++
			spans = append(spans, span{open: i})
		case '}', ']':
			depth--
			spans[open[depth]].close = i
		}
	}
	return spans
}

// stringEnd returns the index after the closing quote of the valid string starting at i.
func stringEnd(b []byte, i int) int {
	for i++; b[i] != '"'; i++ {
		if b[i] == '\\' {
			i++
		}
	}
	return i + 1
}
