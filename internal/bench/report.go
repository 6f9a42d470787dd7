package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the outcome of one bench run. It marshals to JSON as is.
type Report struct {
	Date     time.Time `json:"date"`
	Machine  Machine   `json:"machine"`
	Settings Settings  `json:"settings"`
	// Target names what was measured against the baseline: "gatehouse"
	// for a spawned server, or the endpoint URL.
	Target   string    `json:"target"`
	Loads    []Load    `json:"loads"`
	RSS      *RSS      `json:"rss,omitempty"`
	Verdicts []Verdict `json:"verdicts"`
}

// Settings records the bounds a report was measured under.
type Settings struct {
	DurationSeconds float64 `json:"duration_seconds"`
	MaxRequests     int     `json:"max_requests"`
	Sizes           []int64 `json:"sizes"`
	Concurrency     []int   `json:"concurrency"`
	RSSObjectSize   int64   `json:"rss_object_size"`
	RSSClients      int     `json:"rss_clients"`
	BaselineFsync   bool    `json:"baseline_fsync"`
}

// Units of a Load's rates.
const (
	UnitMiBPerSec = "MiB/s"
	UnitOpsPerSec = "ops/s"
)

// Load is one load run against the target and then the baseline.
type Load struct {
	Op          string      `json:"op"`
	Size        int64       `json:"size"`
	Concurrency int         `json:"concurrency"`
	Unit        string      `json:"unit"`
	Target      Measurement `json:"target"`
	Baseline    Measurement `json:"baseline"`
	// Ratio is the target's rate over the baseline's, in Unit.
	Ratio float64 `json:"ratio"`
}

// Name reads like "GET 4 KiB c=8".
func (l Load) Name() string {
	return fmt.Sprintf("%s %s c=%d", l.Op, FormatSize(l.Size), l.Concurrency)
}

// rate returns m's rate in the load's unit.
func (l Load) rate(m Measurement) float64 {
	if l.Unit == UnitMiBPerSec {
		return m.MiBPerSec
	}
	return m.OpsPerSec
}

// newLoad builds a Load and computes its ratio from the two measurements.
func newLoad(op string, size int64, conc int, target, base Measurement) Load {
	l := Load{Op: op, Size: size, Concurrency: conc, Unit: UnitOpsPerSec,
		Target: target, Baseline: base}
	if size >= largeObject {
		l.Unit = UnitMiBPerSec
	}
	if b := l.rate(base); b > 0 {
		l.Ratio = l.rate(target) / b
	}
	return l
}

// RSS is the target server's memory while clients stream large objects.
type RSS struct {
	ObjectSize int64 `json:"object_size"`
	Clients    int   `json:"clients"`
	// PeakBytes is the largest VmRSS sampled during the load.
	PeakBytes int64 `json:"peak_rss_bytes"`
	Samples   int   `json:"samples"`
	// HWMBytes is VmHWM right after the load: the most the process has
	// ever had resident. The RSS load runs first, so it covers the load.
	HWMBytes     int64   `json:"hwm_bytes"`
	PutMiBPerSec float64 `json:"put_mib_per_sec"`
	GetMiBPerSec float64 `json:"get_mib_per_sec"`
}

// Verdict compares one measured number with a target from issue 2.
type Verdict struct {
	Goal     string `json:"goal"`
	Measured bool   `json:"measured"`
	// Got and Limit are in Unit: "ratio" (target over baseline) or "MiB".
	Got   float64 `json:"got"`
	Limit float64 `json:"limit"`
	Unit  string  `json:"unit"`
	Pass  bool    `json:"pass"`
	Note  string  `json:"note,omitempty"`
}

// WriteText writes the report as tables for people.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	s := r.Settings
	fmt.Fprintf(&b, "gatehouse bench: %s vs baseline (net/http + files, fsync %v)\n",
		r.Target, onOff(s.BaselineFsync))
	m := r.Machine
	fmt.Fprintf(&b, "machine: %d CPUs, %s, %.1f GiB RAM, %s %s/%s\n", m.CPUs, m.CPUModel,
		float64(m.MemBytes)/float64(GiB), m.GoVersion, m.OS, m.Arch)
	fmt.Fprintf(&b, "date: %s; each load: up to %gs or %d requests\n\n",
		r.Date.UTC().Format(time.RFC3339), s.DurationSeconds, s.MaxRequests)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}

	if err := r.writeLoads(w); err != nil {
		return err
	}
	b.Reset()
	if x := r.RSS; x != nil {
		fmt.Fprintf(&b, "\nRSS of %s while %d clients each PUT, then GET, %s:\n", r.Target,
			x.Clients, FormatSize(x.ObjectSize))
		fmt.Fprintf(&b, "  peak VmRSS %.1f MiB over %d samples, VmHWM %.1f MiB "+
			"(PUT %.0f MiB/s, GET %.0f MiB/s in all)\n", mib(x.PeakBytes), x.Samples,
			mib(x.HWMBytes), x.PutMiBPerSec, x.GetMiBPerSec)
	}
	b.WriteString("\nverdicts:\n")
	for _, v := range r.Verdicts {
		fmt.Fprintf(&b, "  %s  %s: %s\n", v.mark(), v.Goal, v.detail())
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeLoads writes the table of loads.
func (r *Report) writeLoads(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "load\t%s\tbaseline\tratio\tp50 ms\tbase p50\tp99 ms\tbase p99\t"+
		"cpu ms/op\tbase cpu\tclient cpu\tbase client\t\n", r.Target)
	for _, l := range r.Loads {
		t, b := l.Target, l.Baseline
		fmt.Fprintf(tw, "%s\t%.1f %s\t%.1f %s\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%s\t%s\t%s\t%s\t\n",
			l.Name(), l.rate(t), l.Unit, l.rate(b), l.Unit, l.Ratio,
			t.P50Millis, b.P50Millis, t.P99Millis, b.P99Millis,
			cpuText(t.ServerCPUMillis), cpuText(b.ServerCPUMillis),
			cpuText(t.ClientCPUMillis), cpuText(b.ClientCPUMillis))
	}
	return tw.Flush()
}

// mark is PASS, FAIL or SKIP.
func (v Verdict) mark() string {
	switch {
	case !v.Measured:
		return "SKIP"
	case v.Pass:
		return "PASS"
	}
	return "FAIL"
}

// detail renders what was measured.
func (v Verdict) detail() string {
	s := "not measured"
	if v.Measured {
		s = fmt.Sprintf("%.2f (limit %.2f)", v.Got, v.Limit)
		if v.Unit == "MiB" {
			s = fmt.Sprintf("%.1f MiB (limit %.0f MiB)", v.Got, v.Limit)
		}
	}
	if v.Note != "" {
		s += "; " + v.Note
	}
	return s
}

// cpuText renders CPU milliseconds per request, or "-" when unknown.
func cpuText(ms float64) string {
	if ms == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", ms)
}

// mib converts bytes to MiB.
func mib(n int64) float64 { return float64(n) / float64(MiB) }

// onOff renders a switch.
func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
