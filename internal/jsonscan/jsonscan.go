// Package jsonscan has what the byte walkers over JSON bodies share: the request log's
// redaction (reqlog) and the API's duplicate-key check (server) read a body json.Valid
// accepted byte by byte, where a tokenizer would allocate for every token.
package jsonscan

// StringEnd returns the index just past the JSON string that starts at body[i] (a '"'), or
// len(body) for a string that is not closed.
func StringEnd(body []byte, i int) int {
	for j := i + 1; j < len(body); j++ {
		switch body[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(body)
}
