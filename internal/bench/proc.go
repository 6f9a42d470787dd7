package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// memStatus is the memory use of a process, from /proc/PID/status.
type memStatus struct {
	rss int64 // VmRSS: resident now, in bytes
	hwm int64 // VmHWM: the most ever resident, in bytes
}

// readMemStatus reads VmRSS and VmHWM of process pid (Linux only).
func readMemStatus(pid int) (memStatus, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memStatus{}, fmt.Errorf("read memory of process %d: %w", pid, err)
	}
	var m memStatus
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch name {
		case "VmRSS":
			m.rss = parseKB(val)
		case "VmHWM":
			m.hwm = parseKB(val)
		}
	}
	if m.rss == 0 {
		return memStatus{}, fmt.Errorf("read memory of process %d: no VmRSS", pid)
	}
	return m, nil
}

// parseKB parses a /proc value such as "  12345 kB" into bytes; zero when
// it cannot.
func parseKB(s string) int64 {
	f := strings.Fields(s)
	if len(f) != 2 || f[1] != "kB" {
		return 0
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return 0
	}
	return n << 10
}

// rssSampler records the peak VmRSS of a process, sampled on a ticker.
type rssSampler struct {
	pid  int
	stop chan struct{}
	done chan struct{}

	mu      sync.Mutex
	peak    int64
	samples int
	err     error
}

// startRSSSampler samples pid every interval until stopped.
func startRSSSampler(pid int, interval time.Duration) *rssSampler {
	s := &rssSampler{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	go s.loop(interval)
	return s
}

// loop samples until stop is closed.
func (s *rssSampler) loop(interval time.Duration) {
	defer close(s.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.sample()
		select {
		case <-s.stop:
			s.sample()
			return
		case <-t.C:
		}
	}
}

// sample takes one reading.
func (s *rssSampler) sample() {
	m, err := readMemStatus(s.pid)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.err = err
		return
	}
	s.samples++
	s.peak = max(s.peak, m.rss)
}

// finish stops sampling and returns the peak and the number of samples.
// It returns an error if no sample could be taken.
func (s *rssSampler) finish() (peak int64, samples int, err error) {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.samples == 0 {
		return 0, 0, fmt.Errorf("sample RSS: %w", s.err)
	}
	return s.peak, s.samples, nil
}

// Machine describes where the bench ran.
type Machine struct {
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model,omitempty"`
	MemBytes  int64  `json:"mem_bytes,omitempty"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
}

// describeMachine reads the CPU model and memory size from /proc where it
// exists; elsewhere they stay empty.
func describeMachine() Machine {
	m := Machine{
		CPUs:      runtime.NumCPU(),
		GoVersion: runtime.Version(),
		OS:        runtime.GOOS,
		Arch:      runtime.GOARCH,
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.CPUModel = procField(b, "model name")
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.MemBytes = parseKB(procField(b, "MemTotal"))
	}
	return m
}

// procField returns the value of the first "name: value" line in b.
func procField(b []byte, name string) string {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// clockTicks is USER_HZ, the unit of the CPU times in /proc/PID/stat. It
// is 100 on every Linux architecture Go supports.
const clockTicks = 100

// readCPUTime returns the CPU time process pid has used so far, user and
// system, from /proc/PID/stat (Linux only), to 10 ms.
func readCPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read CPU time of process %d: %w", pid, err)
	}
	d, err := parseCPUTime(b)
	if err != nil {
		return 0, fmt.Errorf("read CPU time of process %d: %w", pid, err)
	}
	return d, nil
}

// parseCPUTime reads utime plus stime from the text of /proc/PID/stat.
// The command name, field 2, is in parentheses and may hold spaces and
// parentheses itself; utime and stime are fields 14 and 15, the 12th and
// 13th after the last ')'.
func parseCPUTime(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("malformed stat: no command name")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("malformed stat: %d fields after the command name", len(f))
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("malformed stat: CPU time %q", s)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// cpuMeter measures the CPU time a server and the bench's own client use
// over one load.
type cpuMeter struct {
	pid            int // the server's; 0 when unknown
	server, client time.Duration
	ok             bool
}

// startCPU reads the starting CPU times. A meter that cannot read them
// records nothing: CPU use is an explanation, not a result.
func startCPU(pid int) *cpuMeter {
	m := &cpuMeter{pid: pid}
	if pid == 0 {
		return m
	}
	var serr, cerr error
	m.server, serr = readCPUTime(pid)
	m.client, cerr = readCPUTime(os.Getpid())
	m.ok = serr == nil && cerr == nil
	return m
}

// finish records in x the CPU time per request since startCPU.
func (m *cpuMeter) finish(x *Measurement) {
	server, serr := readCPUTime(m.pid)
	client, cerr := readCPUTime(os.Getpid())
	if !m.ok || serr != nil || cerr != nil || x.Ops == 0 {
		return
	}
	perOp := func(d time.Duration) float64 {
		return float64(d.Microseconds()) / 1000 / float64(x.Ops)
	}
	x.ServerCPUMillis = perOp(server - m.server)
	x.ClientCPUMillis = perOp(client - m.client)
}
