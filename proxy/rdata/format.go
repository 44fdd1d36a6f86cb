package rdata

import (
	"math"
	"strconv"
	"strings"
)

// FormatReal15 formats x as R's as.character() does for a double (R 4.2:
// formatReal with 15 significant digits, then the shorter of fixed and
// scientific notation, fixed winning ties and scipen favouring it). It is
// what a deferred string (as.character(x) not yet expanded) stands for.
func FormatReal15(x float64, scipen int) string {
	switch {
	case math.IsNaN(x):
		if IsNAReal(x) {
			return "NA"
		}
		return "NaN"
	case math.IsInf(x, 1):
		return "Inf"
	case math.IsInf(x, -1):
		return "-Inf"
	case x == 0:
		return "0"
	}
	neg := 0
	if x < 0 {
		neg = 1
	}
	// 15 significant digits, correctly rounded: d.dddddddddddddde±XX.
	e := strconv.FormatFloat(x, 'e', 14, 64)
	mant, exp, _ := strings.Cut(e, "e")
	kp, _ := strconv.Atoi(exp)
	digits := strings.TrimRight(strings.Replace(strings.TrimPrefix(mant, "-"), ".", "", 1), "0")
	nsig := max(len(digits), 1)

	rgt := max(nsig-kp-1, 0)
	left := kp + 1
	if left < 1 {
		left = 1
	}
	fixedWidth := neg + left
	if rgt > 0 {
		fixedWidth += rgt + 1
	}
	sciWidth := neg + nsig + 4
	if nsig > 1 {
		sciWidth++
	}
	if kp >= 100 || kp <= -100 {
		sciWidth++
	}
	if fixedWidth <= sciWidth+scipen {
		return strconv.FormatFloat(x, 'f', rgt, 64)
	}
	return strconv.FormatFloat(x, 'e', nsig-1, 64)
}
