package bench

import (
	"fmt"
	"strconv"
	"strings"
)

// Binary byte units.
const (
	KiB int64 = 1 << 10
	MiB int64 = 1 << 20
	GiB int64 = 1 << 30
)

// sizeUnits lists the suffixes ParseSize accepts, longest first so that
// "MiB" is tried before "B". Every unit is binary: "64M" means 64 MiB.
var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"kib", KiB}, {"mib", MiB}, {"gib", GiB},
	{"k", KiB}, {"m", MiB}, {"g", GiB},
	{"b", 1},
}

// ParseSize parses a byte count such as "4096", "4KiB", "64MiB" or "1GiB".
// Units are binary and case-insensitive; "64M" is read as 64 MiB. Zero is
// allowed; negative counts are not.
func ParseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid size %q: want a count like 4096, 4KiB or 64MiB", s)
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return n * mult, nil
}

// FormatSize renders n in the largest binary unit that divides it, for
// example "64 MiB", "4 KiB" or "1000 B".
func FormatSize(n int64) string {
	switch {
	case n >= GiB && n%GiB == 0:
		return fmt.Sprintf("%d GiB", n/GiB)
	case n >= MiB && n%MiB == 0:
		return fmt.Sprintf("%d MiB", n/MiB)
	case n >= KiB && n%KiB == 0:
		return fmt.Sprintf("%d KiB", n/KiB)
	}
	return fmt.Sprintf("%d B", n)
}

// compactSize is FormatSize without the space, as in "64MiB", for flag
// values and object keys.
func compactSize(n int64) string { return strings.ReplaceAll(FormatSize(n), " ", "") }

// SizeList is a comma-separated list of sizes. It implements flag.Value.
type SizeList []int64

// String implements flag.Value.
func (l *SizeList) String() string {
	parts := make([]string, len(*l))
	for i, n := range *l {
		parts[i] = compactSize(n)
	}
	return strings.Join(parts, ",")
}

// Set implements flag.Value. It replaces the list; every size must be
// positive.
func (l *SizeList) Set(s string) error {
	var out SizeList
	for _, part := range strings.Split(s, ",") {
		n, err := ParseSize(part)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("invalid size %q: must be positive", part)
		}
		out = append(out, n)
	}
	*l = out
	return nil
}

// IntList is a comma-separated list of positive integers. It implements
// flag.Value.
type IntList []int

// String implements flag.Value.
func (l *IntList) String() string {
	parts := make([]string, len(*l))
	for i, n := range *l {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}

// Set implements flag.Value. It replaces the list.
func (l *IntList) Set(s string) error {
	var out IntList
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n <= 0 {
			return fmt.Errorf("invalid count %q: want a positive integer", part)
		}
		out = append(out, n)
	}
	*l = out
	return nil
}
