package iec

import "testing"

func TestBytesAndRate(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 387818: "378.7 KiB", 3 << 30: "3.0 GiB", 1 << 50: "1.0 PiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
	for r, want := range map[float64]string{0: "0 B/s", 512: "512 B/s", 432e6: "412.0 MiB/s", 2.5 * (1 << 30): "2.5 GiB/s"} {
		if got := Rate(r); got != want {
			t.Errorf("Rate(%g) = %q, want %q", r, got, want)
		}
	}
}
