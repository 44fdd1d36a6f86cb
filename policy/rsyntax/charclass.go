package rsyntax

import "sort"

// cpRange is an inclusive range of Unicode code points.
type cpRange struct{ lo, hi rune }

func inRanges(t []cpRange, r rune) bool {
	i := sort.Search(len(t), func(i int) bool { return t[i].hi >= r })
	return i < len(t) && t[i].lo <= r
}

func isASCIIAlpha(c int) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c int) bool      { return c >= '0' && c <= '9' }

// isAlpha is iswalpha in glibc's C.UTF-8: what R accepts as the first
// character of a name.
func isAlpha(r rune) bool {
	if r < 0x80 {
		return isASCIIAlpha(int(r))
	}
	return inRanges(glibcAlpha, r)
}

// isAlnum is iswalnum in glibc's C.UTF-8: what R accepts after the first
// character of a name (besides '.' and '_').
func isAlnum(r rune) bool {
	if r < 0x80 {
		return isASCIIAlpha(int(r)) || isDigit(int(r))
	}
	return inRanges(glibcAlnum, r)
}

// isBlank is iswblank for non-ASCII characters: what R's SkipSpace skips
// besides ' ', '\t' and '\f'.
func isBlank(r rune) bool {
	if r < 0x80 {
		return r == ' ' || r == '\t'
	}
	return inRanges(glibcBlank, r)
}
