package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// This file compares the gateway's answers with the JSON examples of OPay's pages, transcribed
// in testdata/opaydocs (see the README there for the page and line of each).

// docExample is one response example of a page and how the gateway's answer must match it.
type docExample struct {
	file string // in testdata/opaydocs

	// extra lists, by the path of an object ("" is the envelope, "data", "data.products[]"),
	// the members the gateway answers beyond the example. Each must be one the page's own
	// table lists (say where, next to it): every other extra member is drift.
	extra map[string][]string

	// values are the paths ("data.nextAction.plans[0].emi", "code") whose values the gateway
	// must answer exactly as printed: constants of the contract, and values the test
	// reproduced by sending the page's own request. Every other value (generated numbers,
	// times) is compared by its JSON type only.
	values []string
}

// checkExample compares answer with the example: every member of the example present in the
// answer with the same JSON type, in the same order, at any depth; no member beyond the
// example's except those ex.extra allows; arrays by the shape of their elements; and the
// values of ex.values.
func checkExample(t *testing.T, ex docExample, answer []byte) {
	t.Helper()
	want := readExample(t, ex.file)
	var problems []string
	compareJSON(t, &problems, "", want, answer, ex.extra)
	for _, p := range ex.values {
		w, ok := lookupJSON(t, want, p)
		if !ok {
			t.Fatalf("%s has no %s: the test names a path the example does not print", ex.file, p)
		}
		g, ok := lookupJSON(t, answer, p)
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s: missing, the example prints %s", p, w))
		case !equalJSON(t, w, g):
			problems = append(problems, fmt.Sprintf("%s: %s, the example prints %s", p, g, w))
		}
	}
	if len(problems) > 0 {
		t.Errorf("the answer drifted from %s:\n  %s\nexample %s\nanswer  %s\nbody    %s",
			ex.file, strings.Join(problems, "\n  "), shape(t, want), shape(t, answer), answer)
	}
}

// readExample reads a transcribed example and checks that it is JSON.
func readExample(t testing.TB, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "opaydocs", file))
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(b) {
		t.Fatalf("%s is not valid JSON", file)
	}
	return b
}

// compareJSON appends to problems every way got departs from want at path.
func compareJSON(t testing.TB, problems *[]string, path string, want, got []byte, extra map[string][]string) {
	t.Helper()
	add := func(format string, args ...any) {
		at := path
		if at == "" {
			at = "(envelope)"
		}
		*problems = append(*problems, at+": "+fmt.Sprintf(format, args...))
	}
	wk, gk := jsonKind(want), jsonKind(got)
	if wk != gk || (wk != '{' && wk != '[' && shape(t, want) != shape(t, got)) {
		add("%s, the example prints %s", shape(t, got), shape(t, want))
		return
	}
	switch wk {
	case '{':
		wkeys, wvals := jsonChildren(t, want)
		gkeys, gvals := jsonChildren(t, got)
		// Members of both, in the answer's order, must be in the example's order.
		var common, expected []string
		for _, k := range gkeys {
			switch {
			case slices.Contains(wkeys, k):
				common = append(common, k)
			case !slices.Contains(extra[path], k):
				add("member %q is neither in the example nor one the page's table lists", k)
			}
		}
		for _, k := range wkeys {
			if slices.Contains(gkeys, k) {
				expected = append(expected, k)
			} else {
				add("member %q of the example is missing", k)
			}
		}
		if !slices.Equal(common, expected) {
			add("members in the order %s, the example's order is %s", strings.Join(common, ","), strings.Join(expected, ","))
		}
		for i, k := range wkeys {
			if j := slices.Index(gkeys, k); j >= 0 {
				compareJSON(t, problems, joinPath(path, k), wvals[i], gvals[j], extra)
			}
		}
	case '[':
		_, welems := jsonChildren(t, want)
		_, gelems := jsonChildren(t, got)
		if len(welems) == 0 {
			return
		}
		for _, e := range welems[1:] {
			if shape(t, e) != shape(t, welems[0]) {
				t.Fatalf("%s[]: the example's elements differ in shape: the transcription is wrong", path)
			}
		}
		if len(gelems) == 0 {
			add("an empty array, the example prints elements %s", shape(t, welems[0]))
		}
		for _, g := range gelems {
			compareJSON(t, problems, path+"[]", welems[0], g, extra)
		}
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// jsonKind is '{' for an object, '[' for an array and 0 for anything else.
func jsonKind(raw []byte) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 || raw[0] != '{' && raw[0] != '[' {
		return 0
	}
	return raw[0]
}

// jsonChildren returns the members of an object (keys and values, in order) or the elements of
// an array (no keys).
func jsonChildren(t testing.TB, raw []byte) ([]string, []json.RawMessage) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	open, err := dec.Token()
	if err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	var keys []string
	var vals []json.RawMessage
	for dec.More() {
		if open == json.Delim('{') {
			k, err := dec.Token()
			if err != nil {
				t.Fatalf("%s: %v", raw, err)
			}
			keys = append(keys, k.(string))
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		vals = append(vals, v)
	}
	return keys, vals
}

// lookupJSON returns the value at path: member names joined by dots, each optionally followed
// by [index] ("data.products[1].price"). The empty path is the whole document.
func lookupJSON(t testing.TB, raw []byte, path string) ([]byte, bool) {
	t.Helper()
	if path == "" {
		return raw, true
	}
	for _, part := range strings.Split(path, ".") {
		name, index, _ := strings.Cut(part, "[")
		if jsonKind(raw) != '{' {
			return nil, false
		}
		keys, vals := jsonChildren(t, raw)
		i := slices.Index(keys, name)
		if i < 0 {
			return nil, false
		}
		raw = vals[i]
		if index == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(index, "]"))
		if err != nil {
			t.Fatalf("bad path %q", path)
		}
		if jsonKind(raw) != '[' {
			return nil, false
		}
		_, elems := jsonChildren(t, raw)
		if n >= len(elems) {
			return nil, false
		}
		raw = elems[n]
	}
	return raw, true
}

// equalJSON compares two JSON values byte for byte once compacted, so that member order and
// number spelling count.
func equalJSON(t testing.TB, a, b []byte) bool {
	t.Helper()
	var ca, cb bytes.Buffer
	if err := json.Compact(&ca, a); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Compact(&cb, b); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

// TestCompareJSON checks the comparison itself on small documents, so that a drift the suite
// should catch cannot pass because of a bug here.
func TestCompareJSON(t *testing.T) {
	t.Parallel()
	want := []byte(`{"a":1,"b":{"c":"x","d":[{"e":true}]},"f":null}`)
	for _, tc := range []struct {
		name  string
		got   string
		extra map[string][]string
		ok    bool
	}{
		{"Same", `{"a":2,"b":{"c":"y","d":[{"e":false},{"e":true}]},"f":null}`, nil, true},
		{"MissingMember", `{"a":2,"b":{"c":"y","d":[{"e":false}]}}`, nil, false},
		{"ExtraMember", `{"a":2,"b":{"c":"y","d":[{"e":false}]},"f":null,"g":1}`, nil, false},
		{"AllowedExtra", `{"a":2,"b":{"c":"y","g":1,"d":[{"e":false}]},"f":null}`, map[string][]string{"b": {"g"}}, true},
		{"AllowedElsewhere", `{"a":2,"b":{"c":"y","g":1,"d":[{"e":false}]},"f":null}`, map[string][]string{"": {"g"}}, false},
		{"AllowedInElements", `{"a":2,"b":{"c":"y","d":[{"e":false,"g":1}]},"f":null}`, map[string][]string{"b.d[]": {"g"}}, true},
		{"Order", `{"b":{"c":"y","d":[{"e":false}]},"a":2,"f":null}`, nil, false},
		{"NestedOrder", `{"a":2,"b":{"d":[{"e":false}],"c":"y"},"f":null}`, nil, false},
		{"NumberAsString", `{"a":"2","b":{"c":"y","d":[{"e":false}]},"f":null}`, nil, false},
		{"NullAsObject", `{"a":2,"b":{"c":"y","d":[{"e":false}]},"f":{}}`, nil, false},
		{"ElementShape", `{"a":2,"b":{"c":"y","d":[{"e":false},{"e":"no"}]},"f":null}`, nil, false},
		{"EmptyArray", `{"a":2,"b":{"c":"y","d":[]},"f":null}`, nil, false},
	} {
		var problems []string
		compareJSON(t, &problems, "", want, []byte(tc.got), tc.extra)
		if ok := len(problems) == 0; ok != tc.ok {
			t.Errorf("%s: ok %v, want %v; problems %q", tc.name, ok, tc.ok, problems)
		}
	}
	for path, w := range map[string]string{"": string(want), "a": "1", "b.d[0].e": "true", "b.d[0]": `{"e":true}`} {
		if got, ok := lookupJSON(t, want, path); !ok || string(got) != w {
			t.Errorf("lookup %q: %s %v, want %s", path, got, ok, w)
		}
	}
	for _, path := range []string{"x", "a.b", "b.d[1]", "b.c[0]"} {
		if _, ok := lookupJSON(t, want, path); ok {
			t.Errorf("lookup %q found something", path)
		}
	}
}
