package bench

import "testing"

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"4096", 4096},
		{"4KiB", 4 * KiB},
		{"64MiB", 64 * MiB},
		{"64mib", 64 * MiB},
		{"64M", 64 * MiB},
		{" 1GiB ", GiB},
		{"1 GiB", GiB},
		{"0", 0},
		{"12B", 12},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseSizeRejectsNonsense(t *testing.T) {
	for _, in := range []string{"", "KiB", "-1", "1.5MiB", "4 KB", "9999999999GiB", "ten"} {
		if n, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, n)
		}
	}
}

func TestFormatSizeRoundTrips(t *testing.T) {
	for _, n := range []int64{1, 1000, 4 * KiB, 64 * MiB, 3 * GiB, MiB + 1} {
		back, err := ParseSize(compactSize(n))
		if err != nil || back != n {
			t.Errorf("ParseSize(compactSize(%d) = %q) = %d, %v", n, compactSize(n), back, err)
		}
	}
	if got := FormatSize(64 * MiB); got != "64 MiB" {
		t.Errorf("FormatSize(64 MiB) = %q", got)
	}
}

func TestSizeListSet(t *testing.T) {
	var l SizeList
	if err := l.Set("64MiB,4KiB"); err != nil {
		t.Fatal(err)
	}
	if len(l) != 2 || l[0] != 64*MiB || l[1] != 4*KiB {
		t.Fatalf("Set(64MiB,4KiB) = %v", l)
	}
	if got := l.String(); got != "64MiB,4KiB" {
		t.Errorf("String() = %q", got)
	}
	if err := l.Set("4KiB,0"); err == nil {
		t.Error("Set accepted a zero size")
	}
	var c IntList
	if err := c.Set("1,8,32"); err != nil || c.String() != "1,8,32" {
		t.Errorf("IntList.Set(1,8,32) = %v, %v", c, err)
	}
	if err := c.Set("1,0"); err == nil {
		t.Error("IntList.Set accepted zero")
	}
}
