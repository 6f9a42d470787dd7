package bench

import (
	"os"
	"runtime"
	"testing"
	"time"
)

func TestParseCPUTime(t *testing.T) {
	// A command name with a space and a parenthesis, utime 250 and
	// stime 17 ticks.
	stat := "4242 (ga) house) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 17 0 0 20 0 9 0\n"
	got, err := parseCPUTime([]byte(stat))
	if want := 2670 * time.Millisecond; err != nil || got != want {
		t.Fatalf("parseCPUTime = %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"", "4242 gatehouse S 1", "4242 (gh) S 1 2 3",
		"4242 (gh) S 1 4242 4242 0 -1 4194560 1000 0 0 0 x 17 0"} {
		if _, err := parseCPUTime([]byte(bad)); err == nil {
			t.Errorf("parseCPUTime(%q) succeeded, want an error", bad)
		}
	}
}

// TestReadCPUTimeGrows burns CPU and checks that the process's own CPU
// time, as the meter reads it, grows with it.
func TestReadCPUTimeGrows(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/PID/stat is Linux only")
	}
	start, err := readCPUTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	x := uint64(1)
	for {
		for range 1 << 20 {
			x = x*6364136223846793005 + 1442695040888963407
		}
		now, err := readCPUTime(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		if now >= start+50*time.Millisecond {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("CPU time went from %v to %v in 10 s of busy loop (x=%d)", start, now, x)
		}
	}
}
