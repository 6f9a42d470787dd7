package bench

import (
	"fmt"
	"net/http"
)

// Targets from issue 2, "Benchmarks".
const (
	// LargeRatioTarget is the least large-object GET and PUT throughput,
	// as a fraction of the baseline's.
	LargeRatioTarget = 0.75
	// SmallGetRatioTarget is the least 4 KiB GET rate, as a fraction of
	// the baseline's, at every concurrency measured.
	SmallGetRatioTarget = 0.60
	// RSSTargetMiB bounds the server's resident memory while 8 clients
	// each stream a 1 GiB object.
	RSSTargetMiB = 150
)

// judge compares the report's numbers with the targets. Each verdict is
// computed from the measurements in r; a target whose load did not run is
// marked not measured.
func judge(r *Report) []Verdict {
	var out []Verdict
	large, small := largestLarge(r.Loads), smallGetSize(r.Loads)
	for _, op := range []string{http.MethodGet, http.MethodPut} {
		v := Verdict{Goal: fmt.Sprintf("large %s throughput >= %.0f%% of baseline", op,
			100*LargeRatioTarget), Limit: LargeRatioTarget, Unit: "ratio"}
		if l, ok := findLoad(r.Loads, op, large); ok {
			v.Goal = fmt.Sprintf("%s %s throughput >= %.0f%% of baseline", FormatSize(large),
				op, 100*LargeRatioTarget)
			v.Measured, v.Got = true, l.Ratio
			v.Pass = l.Ratio >= LargeRatioTarget
		}
		out = append(out, v)
	}
	out = append(out, judgeSmallGet(r.Loads, small), judgeRSS(r.RSS))
	return out
}

// judgeSmallGet takes the worst GET ratio over the concurrencies at size.
func judgeSmallGet(loads []Load, size int64) Verdict {
	v := Verdict{Goal: fmt.Sprintf("small GET rate >= %.0f%% of baseline at every concurrency",
		100*SmallGetRatioTarget), Limit: SmallGetRatioTarget, Unit: "ratio"}
	for _, l := range loads {
		if l.Op != http.MethodGet || l.Size != size {
			continue
		}
		if !v.Measured || l.Ratio < v.Got {
			v.Got, v.Note = l.Ratio, fmt.Sprintf("worst at c=%d", l.Concurrency)
		}
		v.Measured = true
	}
	if v.Measured {
		v.Goal = fmt.Sprintf("%s GET rate >= %.0f%% of baseline at every concurrency",
			FormatSize(size), 100*SmallGetRatioTarget)
		v.Pass = v.Got >= SmallGetRatioTarget
	}
	return v
}

// judgeRSS checks the larger of the sampled peak and the high-water mark,
// so that a spike between samples still counts.
func judgeRSS(x *RSS) Verdict {
	v := Verdict{Goal: fmt.Sprintf("server RSS < %d MiB while 8 clients stream 1 GiB each",
		RSSTargetMiB), Limit: RSSTargetMiB, Unit: "MiB"}
	if x == nil {
		return v
	}
	v.Measured = true
	v.Got = mib(max(x.PeakBytes, x.HWMBytes))
	v.Pass = v.Got < RSSTargetMiB
	v.Note = "the larger of peak VmRSS and VmHWM"
	if x.Clients != 8 || x.ObjectSize != GiB {
		v.Note += fmt.Sprintf("; measured with %d clients x %s, not the target's 8 x 1 GiB",
			x.Clients, FormatSize(x.ObjectSize))
	}
	return v
}

// largestLarge returns the largest size measured as a large object, or 0.
func largestLarge(loads []Load) int64 {
	var n int64
	for _, l := range loads {
		if l.Size >= largeObject {
			n = max(n, l.Size)
		}
	}
	return n
}

// smallGetSize returns 4 KiB if it was measured, else the smallest small
// size measured, or 0.
func smallGetSize(loads []Load) int64 {
	var n int64
	for _, l := range loads {
		switch {
		case l.Size >= largeObject:
		case l.Size == 4*KiB:
			return l.Size
		case n == 0 || l.Size < n:
			n = l.Size
		}
	}
	return n
}

// findLoad returns the first load of op at size.
func findLoad(loads []Load, op string, size int64) (Load, bool) {
	for _, l := range loads {
		if l.Op == op && l.Size == size {
			return l, true
		}
	}
	return Load{}, false
}
