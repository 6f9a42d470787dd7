package checksum

import "sync"

// CRC combination: the CRC of A||B from the CRCs of A and B and the length
// of B, without the data.
//
// A CRC over GF(2) is the remainder of the message polynomial times x^w,
// modulo the generator P. Appending n zero bytes to A multiplies A's
// remainder by x^(8n) mod P, and a CRC is linear in the message, so for
// the CRCs used here (reflected, initial value and final XOR both all
// ones, which cancel in the sum)
//
//	crc(A||B) = crc(A) * x^(8*len(B)) mod P  XOR  crc(B).
//
// x^(8n) mod P is found by square-and-multiply from x^(2^k) mod P, so the
// cost is logarithmic in n. Polynomials are held in reflected bit order,
// as the CRCs compute them: the most significant bit of the w-bit word is
// the coefficient of x^0.

// crcModel is one CRC's generator polynomial, reflected, and its width.
type crcModel struct {
	poly  uint64
	width uint
}

var (
	modelCRC32     = crcModel{polyCRC32, 32}
	modelCRC32C    = crcModel{polyCRC32C, 32}
	modelCRC64NVME = crcModel{polyCRC64NVME, 64}
)

// one is the polynomial 1 (x^0) in reflected order.
func (m crcModel) one() uint64 { return 1 << (m.width - 1) }

// mulMod returns a*b mod P. It walks a's coefficients from x^0 upward,
// adding b*x^i whenever a has the term x^i; b*x^(i+1) is b*x^i shifted one
// place towards the low end, reduced by P when a term leaves the word.
func (m crcModel) mulMod(a, b uint64) uint64 {
	var product uint64
	for bit := m.one(); bit != 0 && a != 0; bit >>= 1 {
		if a&bit != 0 {
			product ^= b
			a ^= bit
		}
		if b&1 != 0 {
			b = b>>1 ^ m.poly
		} else {
			b >>= 1
		}
	}
	return product
}

// xPow8n returns x^(8n) mod P, multiplying together the precomputed
// x^(8*2^k) for the bits k set in n.
func (m crcModel) xPow8n(n uint64) uint64 {
	powers := m.powers()
	result := m.one()
	for k := 0; n != 0; k, n = k+1, n>>1 {
		if n&1 != 0 {
			result = m.mulMod(result, powers[k])
		}
	}
	return result
}

// powers returns x^(8*2^k) mod P for k = 0..63, computed once per model.
func (m crcModel) powers() *[64]uint64 {
	powerTablesOnce.Do(func() {
		for _, model := range []crcModel{modelCRC32, modelCRC32C, modelCRC64NVME} {
			var t [64]uint64
			t[0] = model.one() >> 8 // x^8: the exponent counts bytes
			for k := 1; k < len(t); k++ {
				t[k] = model.mulMod(t[k-1], t[k-1])
			}
			powerTables[model] = &t
		}
	})
	return powerTables[m]
}

var (
	powerTablesOnce sync.Once
	powerTables     = map[crcModel]*[64]uint64{}
)

// combine returns the CRC of A||B given crc(A), crc(B) and len(B).
func (m crcModel) combine(crcA, crcB uint64, lenB uint64) uint64 {
	return m.mulMod(crcA, m.xPow8n(lenB)) ^ crcB
}
