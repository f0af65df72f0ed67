package projections

// FastDecodes reports whether the fast decoder read a payload itself rather
// than falling back to the domain codec.
func FastDecodes(typ string, data []byte) bool {
	_, ok := fastDecode(typ, data)
	return ok
}

// Expand shows how a query is rewritten for a table suffix and a dialect.
func Expand(suffix string, d Dialect, q string) string { return newNames(suffix, d).expand(q) }
