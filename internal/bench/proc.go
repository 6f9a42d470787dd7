package bench

import (
	"bufio"
	"bytes"
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
