package jsonscan

import "testing"

func TestStringEnd(t *testing.T) {
	for _, c := range []struct {
		body string
		at   int
		want int
	}{
		{`"abc",1`, 0, 5},
		{`{"a\"b":1}`, 1, 7},
		{`["\\",2]`, 1, 5},
		{`"open`, 0, 5},
		{`"ends in \`, 0, 10},
	} {
		if got := StringEnd([]byte(c.body), c.at); got != c.want {
			t.Errorf("StringEnd(%s, %d) = %d, want %d", c.body, c.at, got, c.want)
		}
	}
}
